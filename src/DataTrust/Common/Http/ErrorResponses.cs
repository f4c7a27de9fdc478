using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace DataTrust.Common.Http;

/// <summary>
/// Errors in the form the caller reads: RFC 9457 problem details for APIs and protocol endpoints,
/// the portal's readable error page (<see cref="ErrorPagePath"/>) for a browser asking for a page.
/// Neither shows a stack trace or exception text.
/// </summary>
internal static class ErrorResponses
{
    public const string ErrorPagePath = "/error";

    private static readonly string[] MachinePrefixes = ["/api", "/connect", "/.well-known", "/health", "/openapi"];

    public static IApplicationBuilder UseErrorResponses(this IApplicationBuilder app)
    {
        app.UseWhen(WantsPage, pages =>
        {
            pages.UseExceptionHandler(ErrorPagePath);
            pages.UseStatusCodePagesWithReExecute(ErrorPagePath, "?code={0}");
        });
        app.UseWhen(context => !WantsPage(context), machines =>
        {
            machines.UseExceptionHandler();
            machines.UseStatusCodePages();
        });
        return app;
    }

    public static bool IsMachineEndpoint(HttpContext context) =>
        MachinePrefixes.Any(prefix => context.Request.Path.StartsWithSegments(prefix, StringComparison.OrdinalIgnoreCase));

    private static bool WantsPage(HttpContext context) =>
        !IsMachineEndpoint(context) && context.Request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase);
}
