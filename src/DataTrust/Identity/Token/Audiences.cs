using DataTrust.Identity.Protocol;
using Microsoft.Extensions.Options;

namespace DataTrust.Identity.Token;

/// <summary>
/// The audience of an access token: the resource indicator the client named (RFC 8707), if it is one
/// this provider serves, else the issuer itself (the provider's own APIs: userinfo, brokering).
/// </summary>
internal sealed class Audiences(IOptions<OidcOptions> options)
{
    public (string? Audience, OAuthError? Error) Resolve(IReadOnlyList<string> resources, string issuer)
    {
        if (resources.Count == 0)
        {
            return (issuer, null);
        }

        if (resources.Count > 1)
        {
            return (null, OAuthError.InvalidTarget("Ask for one resource per token."));
        }

        var resource = resources[0];
        if (!Uri.TryCreate(resource, UriKind.Absolute, out var uri) || !string.IsNullOrEmpty(uri.Fragment))
        {
            return (null, OAuthError.InvalidTarget("resource must be an absolute URI without a fragment (RFC 8707 §2)."));
        }

        return IsServed(resource, issuer)
            ? (resource, null)
            : (null, OAuthError.InvalidTarget("This server issues no tokens for that resource."));
    }

    public bool IsServed(string audience, string issuer) =>
        audience == issuer || options.Value.Resources.Contains(audience, StringComparer.Ordinal);
}
