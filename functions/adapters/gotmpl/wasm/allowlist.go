package main

// allowedSprig is PKO's exact sprig allow-list (package-operator internal/transform/transformfiles_funcs.go
// `allowedFuncNames`, docs/pko-compatibility.md §1.10). The function map is BUILT from this list: a name that sprig does
// not provide is a build error caught by the unit tests (missingSprigFunctions), and nothing outside the list is
// ever reachable from a template. Not available on purpose: date/time, random, crypto, env/expandenv, network,
// OS file paths.
var allowedSprig = []string{
	"hello",

	// Strings
	"abbrev", "abbrevboth", "trunc", "trim", "upper", "lower", "title", "untitle", "substr", "repeat",
	"trimAll", "trimSuffix", "trimPrefix", "nospace", "initials", "swapcase", "snakecase", "camelcase",
	"kebabcase", "wrap", "wrapWith", "contains", "hasPrefix", "hasSuffix", "quote", "squote", "cat",
	"indent", "nindent", "replace", "plural", "sha1sum", "sha256sum", "adler32sum", "toString",

	// Conversions
	"atoi", "int64", "int", "float64", "seq", "toDecimal",

	// Split
	"split", "splitList", "splitn", "toStrings",

	// Until
	"until", "untilStep",

	// Arithmetic
	"add1", "add", "sub", "div", "mod", "mul", "add1f", "addf", "subf", "divf", "mulf", "biggest", "max",
	"min", "maxf", "minf", "ceil", "floor", "round",

	// Join
	"join", "sortAlpha",

	// Defaults
	"default", "empty", "coalesce", "all", "any", "compact", "mustCompact", "fromJson", "toJson",
	"toPrettyJson", "toRawJson", "mustFromJson", "mustToJson", "mustToPrettyJson", "mustToRawJson",
	"ternary", "deepCopy", "mustDeepCopy",

	// Reflection
	"typeOf", "typeIs", "typeIsLike", "kindOf", "kindIs", "deepEqual",

	// Paths
	"base", "dir", "clean", "ext", "isAbs",

	// Encoding
	"b64enc", "b64dec", "b32enc", "b32dec",

	// Data structures
	"tuple", "list", "dict", "get", "set", "unset", "hasKey", "pluck", "keys", "pick", "omit", "merge",
	"mergeOverwrite", "mustMerge", "mustMergeOverwrite", "values", "append", "mustAppend", "push",
	"mustPush", "prepend", "mustPrepend", "first", "mustFirst", "rest", "mustRest", "last", "mustLast",
	"initial", "mustInitial", "reverse", "mustReverse", "uniq", "mustUniq", "without", "mustWithout", "has",
	"mustHas", "slice", "mustSlice", "concat", "dig", "chunk", "mustChunk",

	// SemVer
	"semver", "semverCompare",

	// Flow control
	"fail",

	// Regex
	"regexMatch", "mustRegexMatch", "regexFindAll", "mustRegexFindAll", "regexFind", "mustRegexFind",
	"regexReplaceAll", "mustRegexReplaceAll", "regexReplaceAllLiteral", "mustRegexReplaceAllLiteral",
	"regexSplit", "mustRegexSplit", "regexQuoteMeta",

	// URLs
	"urlParse", "urlJoin",
}
