import { version } from '../../package.json';

/** The tool's version, read from package.json at build time (esbuild inlines the one field). */
export const TOOL_VERSION: string = version;
