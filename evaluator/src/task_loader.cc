// Loads configs/tasks/<op>/task.yaml into a Task. The only file that sees YAML.
// Every problem is collected as "<file>:<line>:<col>: <key>: <what>" (1-based).
#include <filesystem>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "ksearch/core/file_text.h"
#include "ksearch/core/sha256.h"
#include "ksearch/evaluator/task.h"

namespace fs = std::filesystem;

namespace ksearch::evaluator {
namespace {

class Loader {
 public:
  explicit Loader(std::string file) : file_(std::move(file)) {}

  void Error(const YAML::Node& n, const std::string& key, const std::string& what) {
    std::ostringstream os;
    os << file_;
    if (n.IsDefined() && n.Mark().line >= 0) os << ":" << n.Mark().line + 1 << ":" << n.Mark().column + 1;
    os << ": " << key << ": " << what;
    errors_.push_back(os.str());
  }
  std::string Str(const YAML::Node& n, const std::string& key) {
    if (!n.IsScalar()) { Error(n, key, "expected a scalar"); return ""; }
    return n.Scalar();
  }
  std::vector<std::string> StrList(const YAML::Node& n, const std::string& key) {
    std::vector<std::string> out;
    if (!n.IsDefined() || n.IsNull()) return out;
    if (!n.IsSequence()) { Error(n, key, "expected a list"); return out; }
    for (size_t i = 0; i < n.size(); ++i) out.push_back(Str(n[i], key + "[" + std::to_string(i) + "]"));
    return out;
  }
  void CheckKeys(const YAML::Node& n, const std::string& key, const std::set<std::string>& known) {
    if (!n.IsMap()) return;
    for (auto it = n.begin(); it != n.end(); ++it) {
      std::string k = it->first.Scalar();
      if (!known.count(k)) Error(it->first, key.empty() ? k : key + "." + k, "unknown key");
    }
  }
  void CheckExpr(const YAML::Node& n, const std::string& key, const std::string& expr,
                 const std::vector<std::string>& params) {
    ShapeBinding probe;
    for (auto& p : params) probe[p] = 7;
    auto v = EvalExpr(expr, probe);
    if (!v.ok()) Error(n, key, v.status().message());
  }

  std::vector<std::string> errors_;
  std::string file_;
};

}  // namespace

bool Task::HasBackend(std::string_view b) const {
  for (auto& x : backends) if (x == b) return true;
  return false;
}
const Tolerance& Task::ToleranceFor(DType t) const { return tolerance.at(std::string(DTypeName(t))); }

std::string ShapeName(const Task& task, const ShapeBinding& shape) {
  std::string out;
  for (auto& p : task.params) {
    if (!out.empty()) out += ",";
    auto it = shape.find(p);
    out += p + "=" + (it == shape.end() ? "?" : std::to_string(it->second));
  }
  return out;
}

Result<Task> LoadTask(const std::string& dir_in) {
  std::error_code ec;
  fs::path dir = fs::absolute(dir_in, ec);
  std::string file = (dir / "task.yaml").string();
  if (!fs::exists(file)) return Status::NotFound(file + ": no such task file");
  // Read once: the fingerprint below hashes exactly the bytes that were parsed.
  auto text = ReadFileText(file);
  if (!text.ok()) return text.status();
  YAML::Node root;
  try {
    root = YAML::Load(*text);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(file + ":" + std::to_string(e.mark.line + 1) + ":" +
                                   std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  Loader L(file);
  Task t;
  t.dir = dir.lexically_normal().string();
  if (!root.IsMap()) return Status::InvalidArgument(file + ": top level must be a mapping");
  L.CheckKeys(root, "", {"name", "description", "params", "inputs", "outputs", "iscalars", "fscalars",
                         "shapes", "held_out", "tolerance", "cost", "reference", "baseline", "seed",
                         "contract", "backends", "workspace_bytes", "nondeterministic", "allowed_libraries"});
  auto req = [&](const char* key) {
    if (!root[key].IsDefined()) L.Error(root, key, "required key missing");
    return root[key];
  };
  if (auto n = req("name"); n.IsDefined()) t.name = L.Str(n, "name");
  if (root["description"]) t.description = L.Str(root["description"], "description");
  t.params = L.StrList(req("params"), "params");
  t.backends = L.StrList(req("backends"), "backends");
  for (size_t i = 0; i < t.backends.size(); ++i)
    if (!ParseBackend(t.backends[i]).ok()) L.Error(root["backends"][i], "backends", "unknown backend '" + t.backends[i] + "'");
  t.allowed_libraries = L.StrList(root["allowed_libraries"], "allowed_libraries");
  if (root["nondeterministic"]) {
    try { t.nondeterministic = root["nondeterministic"].as<bool>(); }
    catch (const YAML::Exception&) { L.Error(root["nondeterministic"], "nondeterministic", "expected true or false"); }
  }
  if (root["workspace_bytes"]) {
    t.workspace_bytes = L.Str(root["workspace_bytes"], "workspace_bytes");
    L.CheckExpr(root["workspace_bytes"], "workspace_bytes", t.workspace_bytes, t.params);
  }

  auto tensors = [&](const char* key, bool is_input) {
    std::vector<TensorSpec> out;
    YAML::Node list = req(key);
    if (!list.IsDefined()) return out;
    if (!list.IsSequence()) { L.Error(list, key, "expected a list"); return out; }
    for (size_t i = 0; i < list.size(); ++i) {
      YAML::Node n = list[i];
      std::string k = std::string(key) + "[" + std::to_string(i) + "]";
      if (!n.IsMap()) { L.Error(n, k, "expected a mapping"); continue; }
      L.CheckKeys(n, k, is_input ? std::set<std::string>{"name", "dtype", "shape", "dist"}
                                 : std::set<std::string>{"name", "dtype", "shape"});
      TensorSpec ts;
      if (n["name"]) ts.name = L.Str(n["name"], k + ".name"); else L.Error(n, k + ".name", "required key missing");
      if (!n["dtype"]) L.Error(n, k + ".dtype", "required key missing");
      else if (auto d = ParseDType(L.Str(n["dtype"], k + ".dtype")); d.ok()) ts.dtype = *d;
      else L.Error(n["dtype"], k + ".dtype", d.status().message());
      if (!n["shape"]) L.Error(n, k + ".shape", "required key missing");
      ts.shape = L.StrList(n["shape"], k + ".shape");
      if (ts.shape.size() > 8) L.Error(n["shape"], k + ".shape", "more than 8 dimensions");
      for (size_t d = 0; d < ts.shape.size(); ++d) L.CheckExpr(n["shape"][d], k + ".shape", ts.shape[d], t.params);
      if (is_input) {
        // In a YAML flow list, "[normal(0,1), mixed]" splits at the comma inside
        // the parentheses; pieces are rejoined until the parentheses balance.
        std::vector<std::string> pieces = L.StrList(n["dist"], k + ".dist"), joined;
        int depth = 0;
        for (auto& p : pieces) {
          if (depth > 0) joined.back() += "," + p; else joined.push_back(p);
          for (char c : p) depth += c == '(' ? 1 : c == ')' ? -1 : 0;
        }
        for (auto& s : joined) {
          std::string t;
          for (char c : s) if (c != ' ') t += c;
          auto d = ParseDistribution(t);
          if (d.ok()) ts.dists.push_back(*d); else L.Error(n["dist"], k + ".dist", d.status().message());
        }
        if (ts.dists.empty()) ts.dists.push_back(*ParseDistribution("normal(0,1)"));
      }
      out.push_back(std::move(ts));
    }
    return out;
  };
  t.inputs = tensors("inputs", true);
  t.outputs = tensors("outputs", false);

  auto scalars = [&](const char* key) {
    std::vector<ScalarSpec> out;
    YAML::Node list = root[key];
    if (!list.IsDefined() || list.IsNull()) return out;
    if (!list.IsSequence()) { L.Error(list, key, "expected a list"); return out; }
    for (size_t i = 0; i < list.size(); ++i) {
      std::string k = std::string(key) + "[" + std::to_string(i) + "]";
      ScalarSpec s;
      if (!list[i].IsMap() || !list[i]["name"] || !list[i]["value"]) { L.Error(list[i], k, "expected {name, value}"); continue; }
      s.name = L.Str(list[i]["name"], k + ".name");
      s.value = L.Str(list[i]["value"], k + ".value");
      L.CheckExpr(list[i]["value"], k + ".value", s.value, t.params);
      out.push_back(s);
    }
    return out;
  };
  t.iscalars = scalars("iscalars");
  t.fscalars = scalars("fscalars");

  auto suites = [&](const char* key, bool required) {
    std::map<std::string, std::vector<ShapeBinding>> out;
    YAML::Node m = required ? req(key) : root[key];
    if (!m.IsDefined() || m.IsNull()) return out;
    if (!m.IsMap()) { L.Error(m, key, "expected a mapping backend -> list of shapes"); return out; }
    for (auto it = m.begin(); it != m.end(); ++it) {
      std::string b = it->first.Scalar(), k = std::string(key) + "." + b;
      if (!ParseBackend(b).ok()) L.Error(it->first, k, "unknown backend");
      if (!it->second.IsSequence()) { L.Error(it->second, k, "expected a list"); continue; }
      for (size_t i = 0; i < it->second.size(); ++i) {
        YAML::Node s = it->second[i];
        std::string sk = k + "[" + std::to_string(i) + "]";
        if (!s.IsMap()) { L.Error(s, sk, "expected {param: value, ...}"); continue; }
        ShapeBinding sb;
        for (auto p = s.begin(); p != s.end(); ++p) {
          std::string name = p->first.Scalar();
          if (std::find(t.params.begin(), t.params.end(), name) == t.params.end()) {
            L.Error(p->first, sk + "." + name, "not a declared param"); continue;
          }
          try { sb[name] = p->second.as<int64_t>(); }
          catch (const YAML::Exception&) { L.Error(p->second, sk + "." + name, "expected an integer"); }
        }
        for (auto& p : t.params) if (!sb.count(p)) L.Error(s, sk + "." + p, "param not bound");
        out[b].push_back(sb);
      }
    }
    return out;
  };
  t.shapes = suites("shapes", true);
  t.held_out = suites("held_out", false);

  if (YAML::Node tol = req("tolerance"); tol.IsMap()) {
    for (auto it = tol.begin(); it != tol.end(); ++it) {
      std::string dt = it->first.Scalar(), k = "tolerance." + dt;
      if (!ParseDType(dt).ok()) L.Error(it->first, k, "unknown dtype");
      L.CheckKeys(it->second, k, {"rel_norm", "elem_rtol", "elem_atol", "floor"});
      Tolerance tv;
      auto num = [&](const char* f, double& dst) {
        if (!it->second[f]) { L.Error(it->second, k + "." + f, "required key missing"); return; }
        try { dst = it->second[f].as<double>(); }
        catch (const YAML::Exception&) { L.Error(it->second[f], k + "." + f, "expected a number"); }
        if (dst < 0) L.Error(it->second[f], k + "." + f, "must be >= 0");
      };
      num("rel_norm", tv.rel_norm); num("elem_rtol", tv.elem_rtol); num("elem_atol", tv.elem_atol); num("floor", tv.floor);
      if (tv.floor <= 0) L.Error(it->second["floor"], k + ".floor", "must be > 0 (it stops tiny outputs passing)");
      t.tolerance[dt] = tv;
    }
    for (auto& o : t.outputs)
      if (!t.tolerance.count(std::string(DTypeName(o.dtype))))
        L.Error(tol, "tolerance", "no entry for output dtype " + std::string(DTypeName(o.dtype)));
  }

  if (YAML::Node cost = req("cost"); cost.IsMap()) {
    L.CheckKeys(cost, "cost", {"bytes", "flops"});
    if (cost["bytes"]) { t.cost_bytes = L.Str(cost["bytes"], "cost.bytes"); L.CheckExpr(cost["bytes"], "cost.bytes", t.cost_bytes, t.params); }
    else L.Error(cost, "cost.bytes", "required key missing");
    if (cost["flops"]) { t.cost_flops = L.Str(cost["flops"], "cost.flops"); L.CheckExpr(cost["flops"], "cost.flops", t.cost_flops, t.params); }
    else t.cost_flops = "0";
  }

  Sha256 h;
  h.Update(*text);
  auto path_in_dir = [&](const YAML::Node& n, const std::string& key) -> std::string {
    std::string rel = L.Str(n, key);
    fs::path p = (dir / rel).lexically_normal();
    if (rel.empty() || rel.find("..") != std::string::npos || p.is_absolute() != true ||
        !fs::is_regular_file(p)) {
      L.Error(n, key, "file '" + rel + "' does not exist inside " + t.dir);
      return "";
    }
    auto content = ReadFileText(p.string());
    if (!content.ok()) {
      L.Error(n, key, content.status().message());
      return "";
    }
    h.Update(rel);
    h.Update(*content);
    return p.string();
  };
  for (const char* role : {"reference", "baseline", "seed"}) {
    YAML::Node m = req(role);
    if (!m.IsDefined()) continue;
    if (!m.IsMap()) { L.Error(m, role, "expected {backend: file}"); continue; }
    for (auto it = m.begin(); it != m.end(); ++it) {
      std::string b = it->first.Scalar(), k = std::string(role) + "." + b;
      if (std::string(role) == "baseline" && b == "name") { t.baseline_name = L.Str(it->second, k); continue; }
      if (!ParseBackend(b).ok()) { L.Error(it->first, k, "unknown backend"); continue; }
      std::string p = path_in_dir(it->second, k);
      BackendFiles& f = t.files[b];
      (std::string(role) == "reference" ? f.reference : std::string(role) == "baseline" ? f.baseline : f.seed) = p;
    }
  }
  if (auto c = req("contract"); c.IsDefined()) t.contract_path = path_in_dir(c, "contract");
  for (size_t i = 0; i < t.backends.size(); ++i) {
    const std::string& b = t.backends[i];
    YAML::Node bn = root["backends"][i];
    auto& f = t.files[b];
    if (f.reference.empty() && !root["reference"][b]) L.Error(bn, "reference." + b, "backend has no reference");
    if (f.baseline.empty() && !root["baseline"][b]) L.Error(bn, "baseline." + b, "backend has no baseline");
    if (f.seed.empty() && !root["seed"][b]) L.Error(bn, "seed." + b, "backend has no seed");
    if (t.shapes[b].empty()) L.Error(bn, "shapes." + b, "backend has no scored shape");
  }
  if (!L.errors_.empty()) {
    std::string msg;
    for (auto& e : L.errors_) msg += (msg.empty() ? "" : "\n") + e;
    return Status::InvalidArgument(msg);
  }
  t.content_hash = h.HexDigest();
  return t;
}

Status CheckTaskHash(const Task& task, const std::string& expected_hash) {
  if (expected_hash.empty() || task.content_hash == expected_hash) return Status::Ok();
  return Status::FailedPrecondition("the task folder " + task.dir + " changed since the campaign started (content hash " +
                                    task.content_hash.substr(0, 12) + ", the campaign's " + expected_hash.substr(0, 12) +
                                    "): its timings would not compare with the logged ones; restore it, or start a "
                                    "new campaign on the changed task");
}

}  // namespace ksearch::evaluator
