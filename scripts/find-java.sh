# Sourced by ./llama2j and ./run-tests: sets JAVA_HOME to a JDK of version 25 or newer.
# JAVA_HOME wins when it is new enough; otherwise the newest JDK under /usr/lib/jvm is taken.
java_major() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p' | cut -d. -f1; }
llama2j_find_java() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] && [ "$(java_major "$JAVA_HOME")" -ge 25 ] 2>/dev/null; then
    return 0
  fi
  local best="" best_v=0 d v
  for d in /usr/lib/jvm/*/; do
    d=${d%/}
    [ -x "$d/bin/javac" ] || continue
    v=$(java_major "$d")
    if [ -n "$v" ] && [ "$v" -ge 25 ] 2>/dev/null && [ "$v" -gt "$best_v" ]; then best=$d; best_v=$v; fi
  done
  if [ -z "$best" ]; then
    echo "llama2j: needs a JDK 25 or newer; set JAVA_HOME or install one under /usr/lib/jvm (e.g. Temurin 25)" >&2
    return 1
  fi
  export JAVA_HOME=$best
}
