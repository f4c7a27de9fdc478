using DataTrust.Common;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace DataTrust.Identity;

/// <summary>
/// The issuer identifier (RFC 8414 §2): <c>DataTrust:Issuer</c>, or in Development the request's own
/// base URL when that is unset. Endpoint URLs are the issuer plus a path, so metadata, tokens and
/// DPoP <c>htu</c> checks agree behind a reverse proxy.
/// </summary>
internal sealed class Issuer(IOptions<DataTrustOptions> options, IHostEnvironment environment)
{
    public string For(HttpContext context)
    {
        if (Configured is { } configured)
        {
            return configured;
        }

        if (!environment.IsDevelopment())
        {
            throw new InvalidOperationException("DataTrust:Issuer is not set; start-up should have refused this.");
        }

        var request = context.Request;
        return $"{request.Scheme}://{request.Host}{request.PathBase}".TrimEnd('/');
    }

    public string Endpoint(HttpContext context, string path) => For(context) + path;

    /// <summary>
    /// The issuer outside a request (jobs, signed receipts and webhooks): the configured one; in
    /// Development without one, <c>http://localhost</c>. Start-up refuses a missing issuer elsewhere.
    /// </summary>
    public string Background => Configured ?? (environment.IsDevelopment()
        ? "http://localhost"
        : throw new InvalidOperationException("DataTrust:Issuer is not set; start-up should have refused this."));

    private string? Configured => string.IsNullOrWhiteSpace(options.Value.Issuer) ? null : options.Value.Issuer.TrimEnd('/');

    /// <summary>Start-up check: Production needs an explicit https issuer (http only on a loopback host).</summary>
    public void Validate()
    {
        if (Configured is not { } configured)
        {
            if (!environment.IsDevelopment())
            {
                throw new StartupException("DataTrust:Issuer is not set: set it to the public https URL of this service, e.g. DataTrust__Issuer=https://datatrust.example.city.");
            }

            return;
        }

        if (!Uri.TryCreate(configured, UriKind.Absolute, out var uri) || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment)
            || (uri.Scheme != Uri.UriSchemeHttps && !(uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback)))
        {
            throw new StartupException($"DataTrust:Issuer '{configured}' is not an https URL without query or fragment (http is allowed only for localhost).");
        }
    }
}
