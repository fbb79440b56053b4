// Endpoint YAML loading: good configs, and bad snippets with file:line errors.
#include <catch.hpp>
#include <yaml-cpp/yaml.h>

#include "ksearch/llm_clients/endpoint_config.h"

using namespace ksearch;
using namespace ksearch::llm;

TEST_CASE("endpoints load from a daemon.yaml-style map", "[llm][config]") {
  const char* text = R"(
listen: 127.0.0.1:8080
endpoints:
  - name: openai-main
    protocol: openai
    base_url: https://api.openai.com/v1
    model: gpt-4.1
    api_key_env: OPENAI_API_KEY
    sampling: {temperature: 0.3, top_p: 0.95, max_tokens: 8000}
    max_concurrency: 8
    requests_per_minute: 500
    tokens_per_minute: 200000
    price_input_per_mtok: 2.0
    price_output_per_mtok: 8.0
    timeout_s: 120
    max_retries: 5
    stream: true
  - name: claude
    protocol: anthropic
    base_url: https://api.anthropic.com
    model: claude-sonnet-4-5
    api_key_file: /etc/ksearch/anthropic.key
)";
  auto r = ParseEndpointsYaml(text, "daemon.yaml");
  REQUIRE(r.ok());
  REQUIRE(r->size() == 2);
  const EndpointConfig& a = (*r)[0];
  CHECK(a.name == "openai-main");
  CHECK(a.protocol == Protocol::kOpenAi);
  CHECK(a.sampling.temperature == Approx(0.3));
  CHECK(a.sampling.top_p == Approx(0.95));
  CHECK(a.sampling.max_tokens == 8000);
  CHECK(a.max_concurrency == 8);
  CHECK(a.requests_per_minute == Approx(500));
  CHECK(a.tokens_per_minute == Approx(200000));
  CHECK(a.price_output_per_mtok == Approx(8.0));
  CHECK(a.max_retries == 5);
  CHECK(a.stream);
  CHECK(a.origin == "daemon.yaml:4");  // the "- name:" line
  const EndpointConfig& b = (*r)[1];
  CHECK(b.protocol == Protocol::kAnthropic);
  CHECK(b.api_key_file == "/etc/ksearch/anthropic.key");
  CHECK(b.max_concurrency == EndpointConfig().max_concurrency);  // default kept
}

TEST_CASE("a literal api_key is rejected without echoing it", "[llm][config][secrets]") {
  const char* text =
      "endpoints:\n"
      "  - name: leaky\n"
      "    protocol: openai\n"
      "    base_url: http://localhost:8000/v1\n"
      "    model: m\n"
      "    api_key: sk-live-SECRET-VALUE\n";
  auto r = ParseEndpointsYaml(text, "configs/daemon.yaml");
  REQUIRE(!r.ok());
  const std::string& m = r.error().message();
  CHECK(m.find("configs/daemon.yaml:6:5: endpoints[0].api_key:") != std::string::npos);
  CHECK(m.find("api_key_env") != std::string::npos);
  CHECK(m.find("SECRET") == std::string::npos);
}

TEST_CASE("bad endpoint snippets name file, line, column and key", "[llm][config]") {
  struct Case {
    const char* yaml;
    const char* expect;
  };
  const std::string head = "- name: e\n  protocol: openai\n  base_url: http://h/v1\n  model: m\n";
  auto c = GENERATE(values<Case>({
      {"  max_concurrency: ten\n", "f.yaml:5:20: endpoints[0].max_concurrency: expected an integer in [1, 4096], got \"ten\""},
      {"  protocol2: openai\n", "f.yaml:5:3: endpoints[0].protocol2: unknown key"},
      {"  sampling: {temperature: 9}\n", "endpoints[0].sampling.temperature: expected a number in [0, 2]"},
      {"  stream: maybe\n", "endpoints[0].stream: expected true or false"},
      {"  api_key_file: /k\n  api_key_env: K\n", "set api_key_env or api_key_file, not both"},
      {"  timeout_s: -1\n", "endpoints[0].timeout_s: expected a number"},
  }));
  auto r = ParseEndpointsYaml(head + c.yaml, "f.yaml");
  REQUIRE(!r.ok());
  INFO(r.error().message());
  CHECK(r.error().message().find(c.expect) != std::string::npos);
}

TEST_CASE("endpoint errors are collected, not only the first", "[llm][config]") {
  const char* text =
      "- name: a\n"
      "  protocol: grpc\n"
      "  base_url: http://h\n"
      "  model: m\n"
      "- name: b\n"
      "  base_url: ftp://h\n"
      "  model: m\n"
      "  protocol: openai\n"
      "- model: m\n";
  auto r = ParseEndpointsYaml(text, "x.yaml");
  REQUIRE(!r.ok());
  const std::string& m = r.error().message();
  INFO(m);
  CHECK(m.find("x.yaml:2:13: endpoints[0].protocol: expected openai or anthropic, got \"grpc\"") != std::string::npos);
  CHECK(m.find("endpoints[1]: endpoint b: base_url must start with http") != std::string::npos);
  CHECK(m.find("endpoints[2].name: required key is missing") != std::string::npos);
  CHECK(m.find("endpoints[2].base_url: required key is missing") != std::string::npos);
}

TEST_CASE("duplicate names, YAML syntax errors and missing files", "[llm][config]") {
  auto dup = ParseEndpointsYaml("- {name: a, protocol: openai, base_url: 'http://h', model: m}\n"
                                "- {name: a, protocol: openai, base_url: 'http://h', model: m}\n",
                                "d.yaml");
  REQUIRE(!dup.ok());
  CHECK(dup.error().message().find("d.yaml:2:3: endpoints[1].name: duplicate name a") != std::string::npos);

  auto syntax = ParseEndpointsYaml("endpoints: [\n  {name: a\n", "s.yaml");
  REQUIRE(!syntax.ok());
  CHECK(syntax.error().message().rfind("s.yaml:", 0) == 0);

  auto missing = LoadEndpointsFile("/nonexistent/daemon.yaml");
  REQUIRE(!missing.ok());
  CHECK(missing.error().message().find("/nonexistent/daemon.yaml") != std::string::npos);

  YAML::Node node = YAML::Load("[{name: n, protocol: anthropic, base_url: 'https://api.anthropic.com', model: m}]");
  auto from_node = ParseEndpoints(node, "inline");
  REQUIRE(from_node.ok());
  CHECK((*from_node)[0].protocol == Protocol::kAnthropic);
}
