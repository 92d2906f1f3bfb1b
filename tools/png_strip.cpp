// png_strip OUT IN... : puts frames side by side in one PNG (the demo's
// contact sheet), scaled to the first frame's height.
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdio>
#include <vector>

int main(int argc, char **argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: png_strip OUT.png IN.png...\n");
    return 2;
  }
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
