// Recursive-descent evaluator for shape, scalar and cost expressions.
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <string>

#include "ksearch/evaluator/task.h"

namespace ksearch::evaluator {
namespace {

struct Value {
  double v = 0;
  bool integral = true;
};

class Parser {
 public:
  Parser(std::string_view s, const ShapeBinding& vars) : s_(s), vars_(vars) {}

  Result<double> Parse() {
    Value v = Sum();
    Skip();
    if (err_.empty() && pos_ != s_.size()) Fail("unexpected '" + std::string(1, s_[pos_]) + "'");
    if (!err_.empty()) return Status::InvalidArgument("expression \"" + std::string(s_) + "\": " + err_);
    return v.v;
  }

 private:
  void Skip() { while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_; }
  void Fail(std::string m) { if (err_.empty()) err_ = std::move(m) + " at offset " + std::to_string(pos_); }
  bool Eat(char c) { Skip(); if (pos_ < s_.size() && s_[pos_] == c) { ++pos_; return true; } return false; }

  Value Sum() {
    Value a = Product();
    while (err_.empty()) {
      if (Eat('+')) { Value b = Product(); a = {a.v + b.v, a.integral && b.integral}; }
      else if (Eat('-')) { Value b = Product(); a = {a.v - b.v, a.integral && b.integral}; }
      else break;
    }
    return a;
  }
  Value Product() {
    Value a = Unary();
    while (err_.empty()) {
      if (Eat('*')) { Value b = Unary(); a = {a.v * b.v, a.integral && b.integral}; }
      else if (Eat('/')) {
        Value b = Unary();
        if (b.v == 0) { Fail("division by zero"); break; }
        if (a.integral && b.integral) a = {std::floor(a.v / b.v), true};
        else a = {a.v / b.v, false};
      } else if (Eat('%')) {
        Value b = Unary();
        if (!a.integral || !b.integral || b.v == 0) { Fail("'%' needs non-zero integers"); break; }
        a = {std::fmod(a.v, b.v), true};
      } else break;
    }
    return a;
  }
  Value Unary() {
    if (Eat('-')) { Value v = Unary(); return {-v.v, v.integral}; }
    if (Eat('+')) return Unary();
    return Atom();
  }
  Value Atom() {
    Skip();
    if (pos_ >= s_.size()) { Fail("unexpected end"); return {}; }
    if (Eat('(')) {
      Value v = Sum();
      if (!Eat(')')) Fail("missing ')'");
      return v;
    }
    char c = s_[pos_];
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
      std::string rest(s_.substr(pos_));
      char* end = nullptr;
      double d = std::strtod(rest.c_str(), &end);
      size_t n = static_cast<size_t>(end - rest.c_str());
      std::string lit = rest.substr(0, n);
      pos_ += n;
      bool integral = lit.find_first_of(".eE") == std::string::npos;
      return {d, integral};
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t start = pos_;
      while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_')) ++pos_;
      std::string id(s_.substr(start, pos_ - start));
      auto it = vars_.find(id);
      if (it == vars_.end()) { Fail("unknown name '" + id + "'"); return {}; }
      return {static_cast<double>(it->second), true};
    }
    Fail("unexpected '" + std::string(1, c) + "'");
    return {};
  }

  std::string_view s_;
  const ShapeBinding& vars_;
  size_t pos_ = 0;
  std::string err_;
};

}  // namespace

Result<double> EvalExpr(std::string_view expr, const ShapeBinding& vars) {
  return Parser(expr, vars).Parse();
}

Result<int64_t> EvalIntExpr(std::string_view expr, const ShapeBinding& vars) {
  auto v = EvalExpr(expr, vars);
  if (!v.ok()) return v.status();
  if (*v < 0 || std::floor(*v) != *v || *v > 9.0e18)
    return Status::InvalidArgument("expression \"" + std::string(expr) +
                                   "\" must give a non-negative integer, got " + std::to_string(*v));
  return static_cast<int64_t>(*v);
}

}  // namespace ksearch::evaluator
