#pragma once
// Making strings taken from a file safe to put into an HTML page.
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace gorgon::analysis {

/// `text` with invalid UTF-8 sequences and control characters (except tab, newline and
/// carriage return) replaced by U+FFFD.
std::string sanitize_utf8(std::string_view text);

/// `text` safe as HTML text or inside a quoted attribute: & < > " ' become character
/// references, and the text is sanitised as by sanitize_utf8.
std::string html_escape(std::string_view text);

/// `value` serialised as JSON that is safe inside a <script> element: besides JSON's own
/// escaping, '<', '>' and '&' become \u003c, \u003e and \u0026 (so no "</script>" or "<!--"
/// can appear), U+2028 and U+2029 are escaped, and invalid UTF-8 becomes U+FFFD.
std::string json_for_script(const nlohmann::json& value);

}  // namespace gorgon::analysis
