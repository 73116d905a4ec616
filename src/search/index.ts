export { type Compiled, compileFilter } from './compile.ts';
export { evaluate, type Lookup, likeRegExp } from './evaluate.ts';
export { type Expr, type Ident, parseFilter, parseIdent } from './parse.ts';
export { type Resolved, resolveIdent, type Scope } from './resolve.ts';
export { filterCondition, MAX_LIMIT, queryRuns, type RunQuery, type RunRow } from './runs.ts';
export { deleteTag, ensureTags, readTags, setTags, TAGS_TABLE } from './tags.ts';
export { tokenize } from './tokens.ts';
