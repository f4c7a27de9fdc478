using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace DataTrust.Audit.Api;

/// <summary><c>GET /api/audit/keys</c>: every audit signing public key, retired ones included, as a JWK Set. Anonymous.</summary>
internal static class GetAuditKeys
{
    public static void Map(IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet("/api/audit/keys", Handle).AllowAnonymous().WithTags("Audit");

    private static async Task<JsonHttpResult<System.Text.Json.Nodes.JsonObject>> Handle(AuditSigningKeys keys, HttpContext context, CancellationToken cancellationToken)
    {
        context.Response.Headers.CacheControl = "public, max-age=300";
        return TypedResults.Json(await keys.PublicKeySetAsync(cancellationToken), contentType: "application/jwk-set+json");
    }
}
