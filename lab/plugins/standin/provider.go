// Package standin is what the lab's two stand-in provider plugins share: a plugin.Provider that
// dispatches each resource call to the resource type's own functions, and the property helpers
// they use. The engine talks to it over the real provider protocol (sdk/v3's provider server), so
// everything the engine does (ordering, diffs, replacements, secrets, state) is the engine's own.
package standin

import (
	"context"
	"fmt"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// Type implements one resource type. Check and Read may be nil (the defaults below).
type Type struct {
	Check  func(ctx context.Context, req plugin.CheckRequest) (plugin.CheckResponse, error)
	Diff   func(ctx context.Context, req plugin.DiffRequest) (plugin.DiffResponse, error)
	Create func(ctx context.Context, log Logger, req plugin.CreateRequest) (plugin.CreateResponse, error)
	Update func(ctx context.Context, log Logger, req plugin.UpdateRequest) (plugin.UpdateResponse, error)
	Delete func(ctx context.Context, log Logger, req plugin.DeleteRequest) error
	Read   func(ctx context.Context, req plugin.ReadRequest) (plugin.ReadResponse, error)
}

// Logger sends a line to the engine's display for one resource.
type Logger func(sev diag.Severity, msg string, status bool)

// Provider is a plugin.Provider made of Types, keyed by type token (e.g. "command:remote:Command").
type Provider struct {
	plugin.UnimplementedProvider
	Name    string
	Version string
	Types   map[string]Type
	host    *provider.HostClient
}

// Main serves p as a provider plugin binary (the engine starts it and reads its port).
func Main(p *Provider) {
	err := provider.Main(p.Name, func(host *provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		p.host = host
		return plugin.NewProviderServer(p), nil
	})
	if err != nil {
		panic(err)
	}
}

func (p *Provider) typeOf(urn resource.URN) (Type, error) {
	t, ok := p.Types[string(urn.Type())]
	if !ok {
		return Type{}, fmt.Errorf("%s (lab stand-in): unknown resource type %q", p.Name, urn.Type())
	}
	return t, nil
}

func (p *Provider) logger(ctx context.Context, urn resource.URN) Logger {
	return func(sev diag.Severity, msg string, status bool) {
		if p.host == nil {
			return
		}
		if status {
			_ = p.host.LogStatus(ctx, sev, urn, msg)
		} else {
			_ = p.host.Log(ctx, sev, urn, msg)
		}
	}
}

func (p *Provider) Close() error { return nil }

func (p *Provider) SignalCancellation(context.Context) error { return nil }

func (p *Provider) GetPluginInfo(context.Context) (plugin.PluginInfo, error) {
	v := semver.MustParse(p.Version)
	return plugin.PluginInfo{Version: &v}, nil
}

// The provider has no configuration of its own (neither real provider needs any for what the
// program uses).
func (p *Provider) CheckConfig(_ context.Context, req plugin.CheckConfigRequest) (plugin.CheckConfigResponse, error) {
	return plugin.CheckConfigResponse{Properties: req.News}, nil
}

func (p *Provider) DiffConfig(context.Context, plugin.DiffConfigRequest) (plugin.DiffConfigResponse, error) {
	return plugin.DiffConfigResponse{Changes: plugin.DiffNone}, nil
}

func (p *Provider) Configure(context.Context, plugin.ConfigureRequest) (plugin.ConfigureResponse, error) {
	return plugin.ConfigureResponse{}, nil
}

func (p *Provider) Check(ctx context.Context, req plugin.CheckRequest) (plugin.CheckResponse, error) {
	t, err := p.typeOf(req.URN)
	if err != nil {
		return plugin.CheckResponse{}, err
	}
	if t.Check == nil {
		return plugin.CheckResponse{Properties: req.News}, nil
	}
	return t.Check(ctx, req)
}

func (p *Provider) Diff(ctx context.Context, req plugin.DiffRequest) (plugin.DiffResponse, error) {
	t, err := p.typeOf(req.URN)
	if err != nil {
		return plugin.DiffResponse{}, err
	}
	return t.Diff(ctx, req)
}

func (p *Provider) Create(ctx context.Context, req plugin.CreateRequest) (plugin.CreateResponse, error) {
	t, err := p.typeOf(req.URN)
	if err != nil {
		return plugin.CreateResponse{}, err
	}
	return t.Create(ctx, p.logger(ctx, req.URN), req)
}

func (p *Provider) Update(ctx context.Context, req plugin.UpdateRequest) (plugin.UpdateResponse, error) {
	t, err := p.typeOf(req.URN)
	if err != nil {
		return plugin.UpdateResponse{}, err
	}
	return t.Update(ctx, p.logger(ctx, req.URN), req)
}

func (p *Provider) Delete(ctx context.Context, req plugin.DeleteRequest) (plugin.DeleteResponse, error) {
	t, err := p.typeOf(req.URN)
	if err != nil {
		return plugin.DeleteResponse{}, err
	}
	if t.Delete == nil {
		return plugin.DeleteResponse{}, nil
	}
	return plugin.DeleteResponse{}, t.Delete(ctx, p.logger(ctx, req.URN), req)
}

// Read (pulumi refresh): by default the resource is as the state says.
func (p *Provider) Read(ctx context.Context, req plugin.ReadRequest) (plugin.ReadResponse, error) {
	t, err := p.typeOf(req.URN)
	if err != nil {
		return plugin.ReadResponse{}, err
	}
	if t.Read != nil {
		return t.Read(ctx, req)
	}
	return plugin.ReadResponse{
		ReadResult: plugin.ReadResult{ID: req.ID, Inputs: req.Inputs, Outputs: req.State},
		Status:     resource.StatusOK,
	}, nil
}
