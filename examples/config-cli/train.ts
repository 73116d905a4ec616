// A training script wrapped by cli(schema, main): docs/config-cli.md and
// docs/run-locks.md run it with config files, overrides and sweeps.
//   npx lockstep run examples/config-cli/train.ts --help
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli } from 'lockstep';
import { z } from 'zod';

const Config = z.object({
  lr: z.number().default(0.1).describe('learning rate'),
  epochs: z.number().int().min(1).default(20).describe('passes over the data'),
  model: z.object({ depth: z.number().int().min(1).default(2).describe('tree depth') }).default({ depth: 2 }),
  save_dir: z.string().default('results/train').describe('where the model and run.lock go'),
});

await cli(Config, async (cfg, { run }) => {
  let loss = 1;
  for (let epoch = 0; epoch < cfg.epochs; epoch++) {
    loss *= 1 - cfg.lr / (1 + cfg.model.depth / 10);
    run.log('loss', loss, epoch); // the tracked run's metric series
  }
  mkdirSync(cfg.save_dir, { recursive: true });
  writeFileSync(join(cfg.save_dir, 'model.json'), JSON.stringify({ depth: cfg.model.depth, loss }));
  return { accuracy: 1 - loss / 2 }; // stored as the run's fields
});
