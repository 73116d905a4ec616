import type { Command } from 'commander';

export function registerRead(_program: Command): void {}
