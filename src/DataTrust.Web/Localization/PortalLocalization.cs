using DataTrust.Identity.Protocol;
using Microsoft.AspNetCore.Localization;

namespace DataTrust.Web.Localization;

/// <summary>
/// Language choice, strongest first: the OIDC <c>ui_locales</c> parameter, an explicit <c>lang</c>
/// query value, the language cookie set by the switch in the header, then Accept-Language; Japanese otherwise.
/// </summary>
internal static class PortalLocalization
{
    public const string CookieName = ".DataTrust.Lang";

    public static IApplicationBuilder UsePortalLocalization(this IApplicationBuilder app)
    {
        var options = new RequestLocalizationOptions
        {
            DefaultRequestCulture = new RequestCulture(Text.Japanese),
            SupportedCultures = [Text.Japanese, Text.English],
            SupportedUICultures = [Text.Japanese, Text.English],
            FallBackToParentUICultures = true,
        };
        options.RequestCultureProviders =
        [
            new QueryStringRequestCultureProvider { QueryStringKey = "ui_locales", UIQueryStringKey = "ui_locales" },
            new QueryStringRequestCultureProvider { QueryStringKey = "lang", UIQueryStringKey = "lang" },
            new CookieRequestCultureProvider { CookieName = CookieName },
            new AcceptLanguageHeaderRequestCultureProvider(),
        ];
        // Back-channel protocol endpoints answer machines in English JSON: they need no language choice.
        return app.UseWhen(context => !IsBackChannel(context.Request.Path), localized => localized.UseRequestLocalization(options));
    }

    private static bool IsBackChannel(PathString path) =>
        path.StartsWithSegments(Endpoints.Token, StringComparison.Ordinal)
        || path.StartsWithSegments(Endpoints.Introspection, StringComparison.Ordinal)
        || path.StartsWithSegments(Endpoints.Revocation, StringComparison.Ordinal)
        || path.StartsWithSegments(Endpoints.PushedAuthorization, StringComparison.Ordinal)
        || path.StartsWithSegments("/.well-known", StringComparison.Ordinal);

    /// <summary><c>GET /language/{ja|en}?returnUrl=</c>: remembers the choice and returns to a local page.</summary>
    public static IEndpointRouteBuilder MapLanguageSwitch(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/language/{culture:regex(^(ja|en)$)}", (string culture, string? returnUrl, HttpContext context) =>
        {
            context.Response.Cookies.Append(
                CookieName,
                CookieRequestCultureProvider.MakeCookieValue(new RequestCulture(culture)),
                new CookieOptions { Expires = DateTimeOffset.UtcNow.AddYears(1), HttpOnly = true, SameSite = SameSiteMode.Lax, Secure = context.Request.IsHttps, IsEssential = true });
            return Results.LocalRedirect(LocalOrHome(returnUrl));
        }).ExcludeFromDescription();
        return endpoints;
    }

    /// <summary>The URL when it is a path on this site, otherwise the start page.</summary>
    internal static string LocalOrHome(string? url) => url is not null && IsLocal(url) ? url : "/";

    /// <summary>A path on this site: starts with one slash, never "//" or "/\" (which browsers read as another host).</summary>
    internal static bool IsLocal(string url) =>
        url.Length > 0 && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\')) && !url.Contains('\n') && !url.Contains('\r');
}
