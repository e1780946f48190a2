"""Quick stats for one module folder: lesson word counts per language and quiz question counts.

Usage: python tools/content_stats.py content/modules/01-gobernanza-migratoria
"""

import pathlib
import re
import sys

import yaml


def main(folder: str) -> None:
    """Print word counts per lesson file and a summary of quiz.yaml."""
    root = pathlib.Path(folder)
    yaml.safe_load((root / "module.yaml").read_text(encoding="utf-8"))
    for path in sorted((root / "lessons").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        m = re.match(r"^---\n(.*?)\n---\n(.*)$", text, re.S)
        if not m:
            print(f"{path.name}: MISSING FRONT MATTER")
            continue
        meta = yaml.safe_load(m.group(1))
        words = len(re.findall(r"\w+", m.group(2)))
        print(f"{path.name}: {words} words, title={meta.get('title')!r}")
    quiz = yaml.safe_load((root / "quiz.yaml").read_text(encoding="utf-8"))
    qs = quiz["questions"]
    kinds = {}
    for q in qs:
        kinds[q["type"]] = kinds.get(q["type"], 0) + 1
        for lang in ("es", "en", "pt"):
            if not isinstance(q["text"], dict) or not q["text"].get(lang):
                print(f"question {q['key']}: text missing {lang}")
            if not isinstance(q.get("explanation"), dict) or not q["explanation"].get(lang):
                print(f"question {q['key']}: explanation missing {lang}")
        if q["type"] in ("single", "multiple"):
            correct = [c for c in q["choices"] if c.get("correct")]
            if q["type"] == "single" and len(correct) != 1:
                print(f"question {q['key']}: single needs exactly one correct choice")
            if not correct:
                print(f"question {q['key']}: no correct choice")
            for c in q["choices"]:
                for lang in ("es", "en", "pt"):
                    if not isinstance(c["text"], dict) or not c["text"].get(lang):
                        print(f"question {q['key']} choice {c['key']}: missing {lang}")
        elif q["type"] == "true_false" and not isinstance(q.get("answer"), bool):
            print(f"question {q['key']}: true_false needs answer: true/false")
    print(f"quiz: {len(qs)} questions {kinds}")


if __name__ == "__main__":
    main(sys.argv[1])
