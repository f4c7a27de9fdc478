using System.Text.Encodings.Web;
using System.Text.Unicode;
using DataTrust.Web.Localization;
using Microsoft.Extensions.WebEncoders;

namespace DataTrust.Web;

/// <summary>The web portal: Razor Pages, static assets and the language switch.</summary>
internal static class Portal
{
    public static WebApplicationBuilder AddPortal(this WebApplicationBuilder builder)
    {
        builder.Services.AddRazorPages();
        // Japanese text goes out as UTF-8 characters, not numeric entities; HTML-special characters are still encoded.
        builder.Services.Configure<WebEncoderOptions>(o => o.TextEncoderSettings = new TextEncoderSettings(UnicodeRanges.All));
        return builder;
    }

    public static WebApplication MapPortal(this WebApplication app)
    {
        app.UsePortalLocalization();
        app.MapStaticAssets();
        app.MapLanguageSwitch();
        app.MapRazorPages();
        return app;
    }
}
