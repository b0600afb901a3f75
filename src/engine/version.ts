/** Kept in step with package.json's version by test/engine/version.test.ts. */
export const TOOL_VERSION = '0.1.0';
