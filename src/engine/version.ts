import packageJson from '../../package.json';

/** The tool's version, from package.json (esbuild inlines the file's fields at build time). */
export const TOOL_VERSION: string = packageJson.version;
