using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace DataTrust.Identity.Authorize;

/// <summary>
/// How the authorization endpoint answers: a 303 redirect to the client's registered redirect URI with
/// <c>iss</c> (RFC 9207) in every response, or, when the client or redirect URI cannot be trusted, a
/// page for the person (RFC 6749 §4.1.2.1: never redirect to an unverified URI).
/// </summary>
internal static class AuthorizationResponses
{
    public static IResult Redirect(string redirectUri, string issuer, IEnumerable<KeyValuePair<string, string?>> parameters)
    {
        var query = new StringBuilder();
        foreach (var (name, value) in parameters.Append(new("iss", issuer)))
        {
            if (value is null)
            {
                continue;
            }

            query.Append(query.Length == 0 ? "" : "&").Append(Uri.EscapeDataString(name)).Append('=').Append(Uri.EscapeDataString(value));
        }

        var separator = redirectUri.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        return new SeeOther(redirectUri + separator + query);
    }

    public static IResult Error(AuthorizationParameters request, string issuer, string error, string description) =>
        Redirect(request.RedirectUri, issuer, [new("error", error), new("error_description", description), new("state", request.State)]);

    public static IResult Error(string redirectUri, string? state, string issuer, string error, string description) =>
        Redirect(redirectUri, issuer, [new("error", error), new("error_description", description), new("state", state)]);

    public static IResult SeeOtherLocal(string path) => new SeeOther(path);

    /// <summary>A 303 to an address already verified against the client's registration.</summary>
    public static IResult SeeOtherExternal(string verifiedUri) => new SeeOther(verifiedUri);

    /// <summary>A plain page in the reader's language; no JavaScript, the site's stylesheet.</summary>
    public static IResult Page(int status, string japanese, string english)
    {
        var englishReader = CultureInfo.CurrentUICulture.TwoLetterISOLanguageName == "en";
        var title = englishReader ? "The sign-in request cannot be processed" : "ログインの要求を処理できません";
        var text = englishReader ? english : japanese;
        var back = englishReader ? "Go to the DataTrust start page" : "DataTrust のトップページへ";
        var html = $"""
            <!DOCTYPE html>
            <html lang="{(englishReader ? "en" : "ja")}">
            <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{WebUtility.HtmlEncode(title)} — DataTrust</title><link rel="stylesheet" href="/css/site.css"></head>
            <body><header class="site-header"><a class="brand" href="/">DataTrust <span class="brand-sub">{(englishReader ? "Personal data trust" : "情報銀行")}</span></a></header>
            <main id="main"><h1>{WebUtility.HtmlEncode(title)}</h1>
            <p role="alert">{WebUtility.HtmlEncode(text)}</p>
            <p><a href="/">{WebUtility.HtmlEncode(back)}</a></p></main></body></html>
            """;
        return Results.Content(html, "text/html; charset=utf-8", Encoding.UTF8, status);
    }

    /// <summary>303 See Other (RFC 9700 §4.11): the browser follows with GET and drops any POST body.</summary>
    private sealed class SeeOther(string location) : IResult
    {
        public Task ExecuteAsync(HttpContext context)
        {
            context.Response.StatusCode = StatusCodes.Status303SeeOther;
            context.Response.Headers.Location = location;
            context.Response.Headers.CacheControl = "no-store";
            return Task.CompletedTask;
        }
    }
}
