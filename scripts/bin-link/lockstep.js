#!/usr/bin/env node
import '../../bin/lockstep.js';
