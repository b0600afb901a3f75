// Each optional analysis registers itself in ANALYSIS_SECTIONS when its module is imported.
// One import line per analysis module.
import '../predict/section';
import '../curvature/section';
export {};
