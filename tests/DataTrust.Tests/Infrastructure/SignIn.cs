using System.Net;
using AngleSharp.Html.Parser;
using DataTrust.Common.Demo;

namespace DataTrust.Tests.Infrastructure;

/// <summary>Signs in through the real login form, as a person would, and keeps the session cookie.</summary>
public static class SignIn
{
    /// <summary>Demo accounts (seeded in Development) by role.</summary>
    public static string DemoEmail(string role) => DemoData.Accounts.First(a => a.Role == role).Email;

    /// <summary>A client holding a signed-in session for the demo account with this role.</summary>
    public static Task<HttpClient> CreateClientAsync(this DataTrustFactory factory, string role) =>
        factory.CreateSignedInClientAsync(DemoEmail(role), DemoData.Password);

    public static async Task<HttpClient> CreateSignedInClientAsync(this DataTrustFactory factory, string email, string password)
    {
        var client = factory.CreateBrowser();
        var response = await PostLoginAsync(client, email, password);
        response.StatusCode.ShouldBe(HttpStatusCode.Redirect, $"signing in as {email} failed");
        return client;
    }

    /// <summary>GETs the login page, then posts the form with its anti-forgery token.</summary>
    public static async Task<HttpResponseMessage> PostLoginAsync(HttpClient client, string email, string password, string? returnUrl = null)
    {
        var token = await AntiforgeryTokenAsync(client, "/account/login");
        var form = new Dictionary<string, string>
        {
            ["Email"] = email,
            ["Password"] = password,
            ["__RequestVerificationToken"] = token,
        };
        if (returnUrl is not null)
        {
            form["ReturnUrl"] = returnUrl;
        }

        return await client.PostAsync("/account/login", new FormUrlEncodedContent(form));
    }

    public static async Task<string> AntiforgeryTokenAsync(HttpClient client, string path)
    {
        var html = await client.GetStringAsync(path);
        var document = new HtmlParser().ParseDocument(html);
        return document.QuerySelector("input[name=__RequestVerificationToken]")?.GetAttribute("value")
            ?? throw new InvalidOperationException($"{path} has no anti-forgery token");
    }
}
