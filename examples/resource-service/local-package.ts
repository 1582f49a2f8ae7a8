/**
 * In this repository `@gatehouse/nest` is the sibling folder nest/ (its TypeScript sources), not an
 * installed package, so nothing has to be built first. This maps the name through this folder's
 * tsconfig.json `paths`, for Node as for the compiler. A service that installs @gatehouse/nest from
 * a registry deletes this file and its import in main.ts.
 */
import { loadConfig, register } from 'tsconfig-paths';

const config = loadConfig(__dirname);
if (config.resultType === 'failed') throw new Error(`examples/resource-service: ${config.message}`);
register({ baseUrl: config.absoluteBaseUrl, paths: config.paths });
