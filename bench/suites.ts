/** A benchmark suite: `run` prints its own table, measured against a baseline in the same run. */
export interface Suite {
  name: string;
  title: string;
  run(): Promise<void>;
}

import { exec } from './exec.ts';
import { live } from './live.ts';
import { lockSuite } from './lock.ts';
import { serve } from './serve.ts';
import { server } from './server.ts';
import { storage } from './storage.ts';
import { ui } from './ui.ts';

/** One line per suite. */
export const suites: Suite[] = [storage, live, ui, exec, serve, lockSuite, server];
