import type { Suite } from './suites.ts';

export const storage: Suite = { name: 'storage', title: 'tracking (MLtraq benchmark)', run: async () => {} };
