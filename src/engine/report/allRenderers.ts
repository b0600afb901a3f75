// Each optional analysis registers its terminal lines (TERMINAL_EXTENSIONS) and HTML fragment
// (HTML_EXTENSIONS) when its renderer module is imported. One import line each.
import './curvatureText';
import './predictionText';
