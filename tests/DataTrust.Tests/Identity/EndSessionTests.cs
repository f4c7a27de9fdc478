using System.Net;
using AngleSharp.Html.Parser;
using DataTrust.Accounts;
using DataTrust.Identity.Clients;
using DataTrust.Persistence;
using DataTrust.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Tests.Identity;

/// <summary>RP-initiated logout.</summary>
public sealed class EndSessionTests : IDisposable
{
    private const string AfterLogout = "http://127.0.0.1:8400/logged-out";
    private readonly OidcFactory _factory = new(StorageProvider.Sqlite);

    public void Dispose() => _factory.Dispose();

    private async Task<(HttpClient Browser, string IdToken)> SignedInWithIdTokenAsync()
    {
        await using (var db = _factory.NewDbContext())
        {
            var client = await db.Set<Client>().SingleAsync(c => c.ClientId == "demo-business");
            client.PostLogoutRedirectUris = [AfterLogout];
            await db.SaveChangesAsync();
        }

        var browser = await _factory.CreateClientAsync(Roles.Resident);
        var (verifier, challenge) = Oidc.NewPkce();
        var code = Oidc.Code(await Oidc.AuthorizeAsync(browser, Oidc.AuthorizeQuery("demo-business", challenge, "openid")));
        using var http = _factory.CreateClient();
        var tokens = await Oidc.Json(await http.SendAsync(Oidc.TokenRequest(new()
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = Oidc.RedirectUri,
            ["code_verifier"] = verifier,
        }, "demo-business", Oidc.BusinessSecret)));
        return (browser, tokens.GetProperty("id_token").GetString()!);
    }

    [Fact]
    public async Task Logout_asks_for_confirmation_then_signs_out_and_returns_to_the_registered_uri_with_state()
    {
        var (browser, idToken) = await SignedInWithIdTokenAsync();
        var query = Oidc.Query(new Dictionary<string, string> { ["id_token_hint"] = idToken, ["post_logout_redirect_uri"] = AfterLogout, ["state"] = "bye" });

        var page = await browser.GetAsync("/connect/endsession?" + query);
        page.StatusCode.ShouldBe(HttpStatusCode.OK);
        var document = new HtmlParser().ParseDocument(await page.Content.ReadAsStringAsync());
        var form = document.QuerySelector("form[action*=Confirm]")!;
        var fields = form.QuerySelectorAll("input[type=hidden]").ToDictionary(i => i.GetAttribute("name")!, i => i.GetAttribute("value")!);
        fields.ShouldContainKey("__RequestVerificationToken");

        var withoutToken = await browser.PostAsync(form.GetAttribute("action"), new FormUrlEncodedContent(fields.Where(f => f.Key != "__RequestVerificationToken")));
        withoutToken.StatusCode.ShouldBe(HttpStatusCode.BadRequest);

        var confirmed = await browser.PostAsync(form.GetAttribute("action"), new FormUrlEncodedContent(fields));

        confirmed.StatusCode.ShouldBe(HttpStatusCode.SeeOther);
        confirmed.Headers.Location!.ToString().ShouldBe(AfterLogout + "?state=bye");
        var home = await browser.GetStringAsync("/");
        home.ShouldNotContain("hanako@example.jp");
    }

    [Theory]
    [InlineData("http://127.0.0.1:8400/logged-out/")]
    [InlineData("https://attacker.example/")]
    [InlineData("http://127.0.0.1:8400/callback")]
    public async Task An_unregistered_post_logout_redirect_uri_is_never_redirected_to(string redirectUri)
    {
        var (browser, idToken) = await SignedInWithIdTokenAsync();

        var response = await browser.GetAsync("/connect/endsession?" + Oidc.Query(new Dictionary<string, string>
        {
            ["id_token_hint"] = idToken,
            ["post_logout_redirect_uri"] = redirectUri,
        }));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        response.Headers.Location.ShouldBeNull();
    }

    [Fact]
    public async Task A_forged_id_token_hint_is_refused()
    {
        var (browser, idToken) = await SignedInWithIdTokenAsync();

        var response = await browser.GetAsync("/connect/endsession?id_token_hint=" + Uri.EscapeDataString(idToken[..^6] + "AAAAAA") + "&post_logout_redirect_uri=" + Uri.EscapeDataString(AfterLogout));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        response.Headers.Location.ShouldBeNull();
    }
}
