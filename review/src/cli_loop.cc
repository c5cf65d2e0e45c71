// The loop commands of hakmem-review: record, compare, status (loop.h renders their output).
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "cli.h"
#include "identity.h"
#include "loop.h"

namespace fs = std::filesystem;

namespace hm::review {

int cmd_record(const Args& a) {
  if (a.positional.size() != 1) {
    std::fputs("hakmem review record: needs exactly one ANSWER.md\n", stderr);
    return 2;
  }
  std::string repo = repo_root(a), f = a.positional[0], md = read_file(f);
  std::string ledger_path = a.get("--ledger", repo + "/bench/ledger/ledger.jsonl");
  Ledger ledger = load_ledger(ledger_path, display(ledger_path, repo));
  std::string id = answer_id(md), topic = id.substr(0, id.rfind(':'));
  if (topic == "unknown" && !a.flag("--out")) {
    std::fprintf(stderr, "hakmem review record: %s has no Questionnaire-ID line; pass --out FILE\n", f.c_str());
    return 2;
  }
  std::string out = a.get("--out", repo + "/docs/questionnaire/" + topic + ".decisions.md");
  std::string before = fs::exists(out) ? read_file(out) : "";
  std::string block = render_record(md, display(f, repo), ledger, load_policy_of(a, repo));
  write_file(out, merge_record(before, block, id, topic));
  std::printf("%s the record of %s in %s\n", before.find(std::string(kRecordMarker) + id + ":") != std::string::npos
                                                 ? "replaced" : "added",
              id.c_str(), display(out, repo).c_str());
  return 0;
}

int cmd_compare(const Args& a) {
  if (a.positional.size() < 2) {
    std::fputs("hakmem review compare: needs two or more answers\n", stderr);
    return 2;
  }
  std::string repo = repo_root(a);
  std::vector<std::pair<std::string, std::string>> answers;
  for (const auto& f : a.positional) answers.push_back({display(f, repo), read_file(f)});
  std::fputs(render_compare(answers).c_str(), stdout);
  return 0;
}

int cmd_status(const Args& a) {
  std::string repo = repo_root(a);
  std::string dir = a.get("--dir", repo + "/docs/questionnaire");
  auto git = [&](const std::string& args) { return capture("git -C '" + repo + "' " + args + " 2>/dev/null"); };
  std::string head = git("rev-parse --short=12 HEAD");
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::vector<QuestionnaireStatus> rows;
  for (const auto& p : files) {
    std::string name = p.filename().string();
    if (p.extension() != ".md" || name == "README.md" || name.find('.') != name.rfind('.')) continue;
    std::string md = read_file(p.string());
    QuestionnaireStatus st;
    st.topic = p.stem().string();
    st.path = display(p.string(), repo);
    if (auto idl = find_id_line(md); idl && parse_id(idl->second)) {
      st.has_id = true;
      st.commit = parse_id(idl->second)->commit;
    } else if (auto at = md.find("Source tree: commit "); at != std::string::npos) {
      st.commit = md.substr(at + 20, md.find(' ', at + 20) - at - 20);
    }
    std::string c = st.commit.substr(0, st.commit.find('+'));
    if (!c.empty() && c.find_first_not_of("0123456789abcdef") == std::string::npos) {
      std::string n = git("rev-list --count " + c + "..HEAD");
      if (!n.empty() && n.find_first_not_of("0123456789") == std::string::npos) st.behind = std::stoi(n);
    }
    for (const auto& q : files) {
      std::string qn = q.filename().string();
      if (qn.rfind(st.topic + ".answer", 0) == 0 && qn != st.topic + ".answer-template.md")
        st.answers.push_back(display(q.string(), repo));
      if (qn == st.topic + ".decisions.md") {
        st.decisions = display(q.string(), repo);
        st.generated_records = generated_records(read_file(q.string()));
      }
    }
    rows.push_back(st);
  }
  std::fputs(render_status(rows, head.empty() ? "(none)" : head).c_str(), stdout);
  return 0;
}

}  // namespace hm::review
