package standin

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
)

// Plain is v without its secret (or known output) wrapper, at the top level only.
func Plain(v resource.PropertyValue) resource.PropertyValue {
	for {
		switch {
		case v.IsSecret():
			v = v.SecretValue().Element
		case v.IsOutput() && v.OutputValue().Known:
			v = v.OutputValue().Element
		default:
			return v
		}
	}
}

// Get is m[key] unwrapped (Plain); ok is false when it is absent or null.
func Get(m resource.PropertyMap, key string) (resource.PropertyValue, bool) {
	v, ok := m[resource.PropertyKey(key)]
	if !ok {
		return resource.PropertyValue{}, false
	}
	v = Plain(v)
	return v, !v.IsNull()
}

// Str is a string property; ok is false when absent, null or not (yet) a string.
func Str(m resource.PropertyMap, key string) (string, bool) {
	v, ok := Get(m, key)
	if !ok || !v.IsString() {
		return "", false
	}
	return v.StringValue(), true
}

// Num is a number property, def when absent.
func Num(m resource.PropertyMap, key string, def float64) float64 {
	v, ok := Get(m, key)
	if !ok || !v.IsNumber() {
		return def
	}
	return v.NumberValue()
}

// Bool is a bool property, def when absent.
func Bool(m resource.PropertyMap, key string, def bool) bool {
	v, ok := Get(m, key)
	if !ok || !v.IsBool() {
		return def
	}
	return v.BoolValue()
}

// Strings is a list of strings (secret elements unwrapped).
func Strings(m resource.PropertyMap, key string) []string {
	v, ok := Get(m, key)
	if !ok || !v.IsArray() {
		return nil
	}
	var out []string
	for _, e := range v.ArrayValue() {
		if e = Plain(e); e.IsString() {
			out = append(out, e.StringValue())
		}
	}
	return out
}

// Obj is an object property (empty when absent).
func Obj(m resource.PropertyMap, key string) resource.PropertyMap {
	v, ok := Get(m, key)
	if !ok || !v.IsObject() {
		return resource.PropertyMap{}
	}
	return v.ObjectValue()
}

// Unknown reports whether the value (or anything in it) is not known yet (a preview).
func Unknown(v resource.PropertyValue) bool { return v.ContainsUnknowns() }

// Computed is an unknown value of the given kind, for outputs a preview cannot know.
func Computed() resource.PropertyValue { return resource.MakeComputed(resource.NewProperty("")) }

// Secret marks v secret (once).
func Secret(v resource.PropertyValue) resource.PropertyValue {
	if v.IsSecret() {
		return v
	}
	return resource.MakeSecret(v)
}

// Copy is a shallow copy of m.
func Copy(m resource.PropertyMap) resource.PropertyMap {
	out := resource.PropertyMap{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// InputDiff compares old and new inputs and reports every changed path (`triggers[0]`,
// `connection.host`, ...) with the given kind decider, as plugin.NewDetailedDiffFromObjectDiff
// lays them out.
func InputDiff(olds, news resource.PropertyMap, replace func(path string) bool) plugin.DiffResponse {
	d := olds.Diff(news)
	if d == nil || !d.AnyChanges() {
		return plugin.DiffResponse{Changes: plugin.DiffNone}
	}
	detailed := plugin.NewDetailedDiffFromObjectDiff(d, true)
	changed := map[resource.PropertyKey]bool{}
	var replaceKeys []resource.PropertyKey
	for path, pd := range detailed {
		key, err := resource.ParsePropertyPath(path)
		top := resource.PropertyKey(path)
		if err == nil && len(key) > 0 {
			top = resource.PropertyKey(fmt.Sprint(key[0]))
		}
		changed[top] = true
		if replace(path) {
			pd.Kind = pd.Kind.AsReplace()
			detailed[path] = pd
			replaceKeys = append(replaceKeys, top)
		}
	}
	var changedKeys []resource.PropertyKey
	for k := range changed {
		changedKeys = append(changedKeys, k)
	}
	return plugin.DiffResponse{
		Changes:      plugin.DiffSome,
		ChangedKeys:  changedKeys,
		ReplaceKeys:  replaceKeys,
		DetailedDiff: detailed,
	}
}
