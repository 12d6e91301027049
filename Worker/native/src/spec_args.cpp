#include "spec_args.h"

#include <charconv>

#include "error.h"

namespace fedtrain {
namespace {

std::string trim(const std::string& s) {
    const char* space = " \t\r\n";
    size_t begin = s.find_first_not_of(space);
    if (begin == std::string::npos) {
        return {};
    }
    size_t end = s.find_last_not_of(space);
    return s.substr(begin, end - begin + 1);
}

std::vector<std::string> split(const std::string& s, char separator) {
    std::vector<std::string> parts;
    size_t start = 0;
    for (;;) {
        size_t at = s.find(separator, start);
        parts.push_back(trim(s.substr(start, at == std::string::npos ? std::string::npos : at - start)));
        if (at == std::string::npos) {
            return parts;
        }
        start = at + 1;
    }
}

int64_t parse_int(const std::string& key, const std::string& text, int64_t min, int64_t max) {
    int64_t value = 0;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc() || ptr != end) {
        invalid("spec key '" + key + "': '" + text + "' is not an integer");
    }
    if (value < min || value > max) {
        invalid("spec key '" + key + "': " + text + " is outside [" + std::to_string(min) + ", " +
                std::to_string(max) + "]");
    }
    return value;
}

}  // namespace

SpecArgs SpecArgs::parse(const std::string& text) {
    SpecArgs args;
    if (trim(text).empty()) {
        invalid("model spec is empty; expected e.g. kind=cnn;in=1,28,28;classes=10;conv=32,64;hidden=128");
    }
    std::vector<std::string> segments = split(text, ';');
    for (size_t i = 0; i < segments.size(); ++i) {
        const std::string& segment = segments[i];
        if (segment.empty()) {
            if (i + 1 == segments.size() && i > 0) {
                continue;  // one trailing ';' is harmless
            }
            invalid("model spec '" + text + "' has an empty entry; expected key=value;key=value");
        }
        size_t eq = segment.find('=');
        if (eq == std::string::npos) {
            invalid("model spec entry '" + segment + "' is not key=value");
        }
        std::string key = trim(segment.substr(0, eq));
        std::string value = trim(segment.substr(eq + 1));
        if (key.empty()) {
            invalid("model spec entry '" + segment + "' has no key");
        }
        if (args.find(key) != nullptr) {
            invalid("model spec key '" + key + "' appears twice");
        }
        args.entries_.push_back({key, value, false});
    }
    Entry* kind = args.find("kind");
    if (kind == nullptr || kind->value.empty()) {
        invalid("model spec '" + text + "' has no kind (e.g. kind=cnn)");
    }
    kind->taken = true;
    args.kind_ = kind->value;
    return args;
}

SpecArgs::Entry* SpecArgs::find(const std::string& key) {
    for (Entry& entry : entries_) {
        if (entry.key == key) {
            return &entry;
        }
    }
    return nullptr;
}

SpecArgs::Entry& SpecArgs::require(const std::string& key) {
    Entry* entry = find(key);
    if (entry == nullptr) {
        invalid("model spec for kind '" + kind_ + "' is missing key '" + key + "'");
    }
    entry->taken = true;
    return *entry;
}

int64_t SpecArgs::take_int(const std::string& key, int64_t min, int64_t max) {
    return parse_int(key, require(key).value, min, max);
}

std::string SpecArgs::take_string(const std::string& key) {
    const std::string& value = require(key).value;
    if (value.empty()) {
        invalid("spec key '" + key + "' is empty");
    }
    return value;
}

int64_t SpecArgs::take_int_or(const std::string& key, int64_t fallback, int64_t min, int64_t max) {
    return find(key) == nullptr ? fallback : take_int(key, min, max);
}

std::vector<int64_t> SpecArgs::take_int_list(const std::string& key, size_t min_count, size_t max_count,
                                             int64_t min, int64_t max) {
    const std::string& value = require(key).value;
    std::vector<int64_t> values;
    for (const std::string& item : split(value, ',')) {
        values.push_back(parse_int(key, item, min, max));
    }
    if (values.size() < min_count || values.size() > max_count) {
        invalid("spec key '" + key + "' needs " +
                (min_count == max_count ? std::to_string(min_count)
                                        : std::to_string(min_count) + " to " + std::to_string(max_count)) +
                " comma-separated values, got '" + value + "'");
    }
    return values;
}

void SpecArgs::finish() const {
    for (const Entry& entry : entries_) {
        if (!entry.taken) {
            invalid("unknown key '" + entry.key + "' in model spec for kind '" + kind_ + "'");
        }
    }
}

}  // namespace fedtrain
