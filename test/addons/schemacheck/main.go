// schemacheck decodes rendered manifests strictly into the Go types of the target Kubernetes
// release (k8s.io/api, k8s.io/kube-proxy, k8s.io/kubelet, k8s.io/apiserver's EncryptionConfiguration
// and audit Policy, and client-go's kubeconfig at the versions in go.mod): an unknown or misplaced
// field, or a value of the wrong type, is an error. Input: a JSON array of documents on stdin.
// Output: one line per document, "ok <apiVersion>/<kind>" or the error.
//
// `schemacheck cel` evaluates one CEL expression, in the apiserver's own CEL environment for the
// release (as a ValidatingAdmissionPolicy's validation sees it, `object` being the request's
// object), against each object of {"expression": "...", "objects": [...]} on stdin: one line per
// object, "true", "false" or "error <message>".
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"

	"github.com/google/cel-go/cel"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/util/version"
	apiserverv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	"k8s.io/apiserver/pkg/cel/environment"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdv1 "k8s.io/client-go/tools/clientcmd/api/v1"
	kubeproxyv1alpha1 "k8s.io/kube-proxy/config/v1alpha1"
	kubeletv1beta1 "k8s.io/kubelet/config/v1beta1"
	kjson "sigs.k8s.io/json"
)

func target(apiVersion, kind string) (interface{}, bool) {
	switch apiVersion + "/" + kind {
	case "v1/Namespace":
		return &corev1.Namespace{}, true
	case "v1/ServiceAccount":
		return &corev1.ServiceAccount{}, true
	case "v1/ConfigMap":
		return &corev1.ConfigMap{}, true
	case "v1/Service":
		return &corev1.Service{}, true
	case "apps/v1/DaemonSet":
		return &appsv1.DaemonSet{}, true
	case "apps/v1/Deployment":
		return &appsv1.Deployment{}, true
	case "policy/v1/PodDisruptionBudget":
		return &policyv1.PodDisruptionBudget{}, true
	case "rbac.authorization.k8s.io/v1/ClusterRole":
		return &rbacv1.ClusterRole{}, true
	case "rbac.authorization.k8s.io/v1/ClusterRoleBinding":
		return &rbacv1.ClusterRoleBinding{}, true
	case "admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy":
		return &admissionregistrationv1.ValidatingAdmissionPolicy{}, true
	case "admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding":
		return &admissionregistrationv1.ValidatingAdmissionPolicyBinding{}, true
	case "apiserver.config.k8s.io/v1/EncryptionConfiguration":
		return &apiserverv1.EncryptionConfiguration{}, true
	case "audit.k8s.io/v1/Policy":
		return &auditv1.Policy{}, true
	case "kubelet.config.k8s.io/v1beta1/KubeletConfiguration":
		return &kubeletv1beta1.KubeletConfiguration{}, true
	case "kubeproxy.config.k8s.io/v1alpha1/KubeProxyConfiguration":
		return &kubeproxyv1alpha1.KubeProxyConfiguration{}, true
	case "v1/Config":
		return &clientcmdv1.Config{}, true
	}
	return nil, false
}

func check(doc json.RawMessage) error {
	var meta struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := json.Unmarshal(doc, &meta); err != nil {
		return err
	}
	into, known := target(meta.APIVersion, meta.Kind)
	if !known {
		return fmt.Errorf("%s/%s: no Go type known to schemacheck", meta.APIVersion, meta.Kind)
	}
	// Case-sensitive, as the apiserver decodes: `clusterIp` is not `clusterIP`.
	strict, err := kjson.UnmarshalStrict(doc, into, kjson.DisallowUnknownFields, kjson.DisallowDuplicateFields)
	if err != nil {
		return fmt.Errorf("%s/%s: %v", meta.APIVersion, meta.Kind, err)
	}
	if len(strict) > 0 {
		return fmt.Errorf("%s/%s: %v", meta.APIVersion, meta.Kind, strict)
	}
	if meta.Kind == "Config" {
		return checkKubeconfig(doc)
	}
	return nil
}

// checkKubeconfig loads the file as kubectl does and checks what clientcmd.Validate checks, except
// that referenced files exist (they exist only inside the pod).
func checkKubeconfig(doc []byte) error {
	cfg, err := clientcmd.Load(doc)
	if err != nil {
		return fmt.Errorf("kubeconfig: %v", err)
	}
	ctx, ok := cfg.Contexts[cfg.CurrentContext]
	if !ok {
		return fmt.Errorf("kubeconfig: current-context %q is not defined", cfg.CurrentContext)
	}
	cluster, ok := cfg.Clusters[ctx.Cluster]
	if !ok {
		return fmt.Errorf("kubeconfig: context %q names cluster %q, which is not defined", cfg.CurrentContext, ctx.Cluster)
	}
	if _, ok := cfg.AuthInfos[ctx.AuthInfo]; !ok {
		return fmt.Errorf("kubeconfig: context %q names user %q, which is not defined", cfg.CurrentContext, ctx.AuthInfo)
	}
	if u, err := url.Parse(cluster.Server); err != nil || u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("kubeconfig: server %q is not an https URL", cluster.Server)
	}
	return nil
}

// celCheck evaluates the expression against each object; exit 2 if it does not compile.
func celCheck(data []byte) {
	var in struct {
		Expression string                   `json:"expression"`
		Objects    []map[string]interface{} `json:"objects"`
	}
	if err := json.Unmarshal(data, &in); err != nil {
		fmt.Fprintln(os.Stderr, "input must be {\"expression\": ..., \"objects\": [...]}:", err)
		os.Exit(2)
	}
	envSet, err := environment.MustBaseEnvSet(version.MajorMinor(1, 34), true).Extend(environment.VersionedOptions{
		IntroducedVersion: version.MajorMinor(1, 0),
		EnvOptions:        []cel.EnvOption{cel.Variable("object", cel.DynType), cel.Variable("oldObject", cel.DynType)},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	env, err := envSet.Env(environment.NewExpressions)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ast, issues := env.Compile(in.Expression)
	if issues != nil && issues.Err() != nil {
		fmt.Fprintln(os.Stderr, "does not compile:", issues.Err())
		os.Exit(2)
	}
	if ast.OutputType() != cel.BoolType {
		fmt.Fprintln(os.Stderr, "not a bool expression:", ast.OutputType())
		os.Exit(2)
	}
	prg, err := env.Program(ast)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	// Each entry is the object (a CREATE: oldObject is null), or {"object": ..., "oldObject": ...} (an UPDATE).
	for _, o := range in.Objects {
		vars := map[string]interface{}{"object": o, "oldObject": nil}
		if obj, ok := o["object"]; ok {
			vars = map[string]interface{}{"object": obj, "oldObject": o["oldObject"]}
		}
		out, _, err := prg.Eval(vars)
		if err != nil {
			fmt.Printf("error %v\n", err)
		} else {
			fmt.Println(out.Value())
		}
	}
}

func main() {
	data, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if len(os.Args) > 1 && os.Args[1] == "cel" {
		celCheck(data)
		return
	}
	var docs []json.RawMessage
	if err := json.Unmarshal(data, &docs); err != nil {
		fmt.Fprintln(os.Stderr, "input must be a JSON array of documents:", err)
		os.Exit(2)
	}
	failed := false
	for i, doc := range docs {
		if err := check(doc); err != nil {
			fmt.Printf("error %d %v\n", i, err)
			failed = true
		} else {
			fmt.Printf("ok %d\n", i)
		}
	}
	if failed {
		os.Exit(1)
	}
}
