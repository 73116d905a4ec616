export { HttpClient, type HttpOptions } from './http.ts';
export { defaultOutboxPath, Outbox, type OutboxEntry } from './outbox.ts';
export { type RemoteOptions, RemoteStore } from './store.ts';
export { type SyncOptions, type SyncResult, syncOutbox } from './sync.ts';
