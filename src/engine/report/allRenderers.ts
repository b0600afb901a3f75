// Each optional analysis registers its terminal lines and HTML fragment when its renderer module
// is imported (TERMINAL_EXTENSIONS in terminal.ts, HTML_EXTENSIONS in html.ts). One import line each.
import './predictionText';
import './curvatureText';
export {};
