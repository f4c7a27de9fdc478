using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace DataTrust.Common.Http;

/// <summary>Headers that every response carries (OWASP ASVS V3.4). HSTS is added by the host outside Development.</summary>
internal static class SecurityHeaders
{
    // No inline script or style anywhere: pages work without JavaScript and load their CSS from /css.
    // form-action is left out on purpose: browsers apply it to the redirect that follows a login form
    // post, which would block the return to a relying party's redirect_uri.
    internal const string ContentSecurityPolicy =
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XFrameOptions = "DENY";
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()";
            headers["Cross-Origin-Opener-Policy"] = "same-origin";
            headers["Cross-Origin-Resource-Policy"] = "same-origin";
            return next(context);
        });
}
