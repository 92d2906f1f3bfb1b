// png_strip OUT IN... : puts frames side by side in one PNG (the demo's
// contact sheet), scaled to the first frame's height.
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdio>
#include <vector>

#include "tool_options.h"

int main(int argc, char **argv) {
  const GOptionEntry entries[] = {{nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  refseg::tools::parse_options(
      "png_strip", "OUT.png IN.png... - frames side by side in one PNG",
      "Puts the IN frames side by side in OUT (the demo's contact sheet), each scaled to the "
      "first frame's height.",
      "Exit status: 0 done, 1 a file cannot be read or written, 2 bad arguments.\n", entries,
      nullptr, &argc, &argv);
  if (argc < 3)
    refseg::tools::usage_error("png_strip", "OUT.png and at least one IN.png are required");
  std::vector<cv::Mat> frames;
  for (int i = 2; i < argc; i++) {
    cv::Mat frame = cv::imread(argv[i], cv::IMREAD_COLOR);
    if (frame.empty()) {
      std::fprintf(stderr, "png_strip: cannot read %s\n", argv[i]);
      return 1;
    }
    if (!frames.empty() && frame.rows != frames[0].rows)
      cv::resize(frame, frame, {frame.cols * frames[0].rows / frame.rows, frames[0].rows});
    frames.push_back(frame);
  }
  cv::Mat strip;
  cv::hconcat(frames, strip);
  if (!cv::imwrite(argv[1], strip)) {
    std::fprintf(stderr, "png_strip: cannot write %s\n", argv[1]);
    return 1;
  }
  return 0;
}
