export { type App, createServer, type ServerOptions } from './app.ts';
export type { Access, TokenSpec } from './auth.ts';
export { type StartOptions, startServer } from './listen.ts';
