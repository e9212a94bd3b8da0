// tc2xdp command-line entry point.
#include <cstdio>

int main(int argc, char** argv) {
  std::fprintf(stderr, "usage: tc2xdp {check|fmt} FILE...\n");
  return 2;
}
