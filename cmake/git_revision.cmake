# Run at every build (cmake -P): writes OUT, a source file defining gorgon::detail::git_revision(),
# with the checkout's revision ("<short hash>", "-dirty" when tracked files differ from it, or
# "unknown" outside a git checkout). The file is replaced only when the text changes, so only
# that one object is rebuilt, and only after a commit or an edit.
#   cmake -DSOURCE_DIR=... -DOUT=... -P git_revision.cmake
execute_process(COMMAND git rev-parse --short HEAD WORKING_DIRECTORY "${SOURCE_DIR}"
  OUTPUT_VARIABLE revision OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE status)
if(NOT status EQUAL 0 OR NOT revision)
  set(revision unknown)
else()
  execute_process(COMMAND git status --porcelain --untracked-files=no
    WORKING_DIRECTORY "${SOURCE_DIR}" OUTPUT_VARIABLE changes ERROR_QUIET)
  if(changes)
    string(APPEND revision "-dirty")
  endif()
endif()
string(CONCAT text "// Generated at build time by cmake/git_revision.cmake: do not edit.\n"
         "namespace gorgon::detail {\n"
         "const char* git_revision() noexcept { return \"${revision}\"; }\n"
         "}  // namespace gorgon::detail\n")
file(WRITE "${OUT}.new" "${text}")
file(COPY_FILE "${OUT}.new" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.new")
