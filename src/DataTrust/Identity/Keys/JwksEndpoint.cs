using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace DataTrust.Identity.Keys;

/// <summary><c>GET /.well-known/jwks.json</c>: the public signing keys (RFC 7517), current, next and retiring.</summary>
internal static class JwksEndpoint
{
    public const string Path = "/.well-known/jwks.json";

    public static async Task<IResult> Handle(HttpContext context, SigningKeyStore keys, IOptions<OidcOptions> options, CancellationToken cancellationToken)
    {
        var set = new JsonArray();
        foreach (var jwk in await keys.PublishedJsonAsync(cancellationToken))
        {
            set.Add(JsonNode.Parse(jwk));
        }

        context.Response.Headers.CacheControl = "public, max-age=" + ((int)options.Value.JwksMaxAge.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        return Results.Text(new JsonObject { ["keys"] = set }.ToJsonString(), "application/jwk-set+json; charset=utf-8");
    }
}
