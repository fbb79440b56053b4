// ksearch-evaluate build|run < request.json > result.json
// (the result in the framed form of ksearch/evaluator/result_wire.h).
// Runs one evaluation phase in its own process, so a worker can put a hard
// wall-clock limit around all of it. Exit 0 whenever a result was written
// (the verdict is in the result), 2 on usage or unreadable request.
#include <iostream>
#include <iterator>
#include <string>

#include "ksearch/core/process.h"
#include "ksearch/evaluator/evaluator.h"
#include "ksearch/evaluator/result_wire.h"

int main(int argc, char** argv) {
  using namespace ksearch;
  std::string phase = argc == 2 ? argv[1] : "";
  if (phase != "build" && phase != "run") {
    std::cerr << "usage: ksearch-evaluate build|run < request.json > result.json\n";
    return 2;
  }
  std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  nlohmann::json req;
  try {
    req = nlohmann::json::parse(input);
  } catch (const std::exception& e) {
    std::cerr << "ksearch-evaluate: request is not JSON: " << e.what() << "\n";
    return 2;
  }
  auto& launcher = PosixProcessLauncher::Instance();
  if (phase == "build") {
    // Framed, so the daemon stores the evidence without parsing it.
    std::cout << evaluator::BuildResultWireText(evaluator::Build(req.get<BuildRequest>(), launcher));
  } else {
    std::cout << evaluator::RunResultWireText(evaluator::Run(req.get<RunRequest>(), launcher));
  }
  return 0;
}
