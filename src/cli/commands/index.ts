import type { Command } from 'commander';
import { registerArtifacts } from './artifacts.ts';
import { registerDatasets } from './datasets.ts';
import { registerGc } from './gc.ts';
import { registerInit } from './init.ts';
import { registerLock } from './lock.ts';
import { registerModels } from './models.ts';
import { registerRead } from './read.ts';
import { registerRun } from './run.ts';
import { registerServe } from './serve.ts';
import { registerSync } from './sync.ts';
import { registerTag } from './tag.ts';
import { registerUi } from './ui.ts';
import { registerWorker } from './worker.ts';

/** Each entry adds its commands to the program. One line per command family. */
export const commands: ((program: Command) => void)[] = [
  registerRead,
  registerLock,
  registerUi,
  registerSync,
  registerWorker,
  registerInit,
  registerRun,
  registerTag,
  registerDatasets,
  registerModels,
  registerGc,
  registerServe,
  registerArtifacts,
];
