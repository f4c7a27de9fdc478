using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace DataTrust.Common.Web;

/// <summary>
/// The service's public base URL for links that leave the request (mail, tokens). It is the
/// configured <c>DataTrust:Issuer</c>; only in Development may it fall back to the request's own
/// host, because a Host header is attacker-controlled (password-reset link poisoning).
/// </summary>
internal sealed class PublicOrigin(IOptions<DataTrustOptions> options, IHostEnvironment environment)
{
    public string For(HttpRequest request)
    {
        if (options.Value.Issuer is { Length: > 0 } issuer)
        {
            return issuer.TrimEnd('/');
        }

        if (environment.IsDevelopment())
        {
            return $"{request.Scheme}://{request.Host}{request.PathBase}";
        }

        throw new InvalidOperationException("DataTrust:Issuer must be set outside Development.");
    }
}
