using System.Net;
using AngleSharp.Html.Parser;
using DataTrust.Accounts;
using DataTrust.Persistence;
using DataTrust.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Tests.Accounts;

public abstract class LoginTests(StorageProvider provider) : IDisposable
{
    private readonly DataTrustFactory _factory = new(provider);

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task A_resident_signs_in_with_the_demo_password_and_the_start_page_shows_the_account()
    {
        var client = await _factory.CreateClientAsync(Roles.Resident);

        var home = await client.GetStringAsync("/");

        home.ShouldContain("hanako@example.jp");
        home.ShouldContain("ログアウト");
    }

    [Fact]
    public async Task A_wrong_password_and_an_unknown_account_get_the_same_message_and_no_session()
    {
        var client = NewClient();

        var wrongPassword = await SignIn.PostLoginAsync(client, "hanako@example.jp", "not-the-password-at-all");
        var unknownAccount = await SignIn.PostLoginAsync(client, "nobody@example.jp", "not-the-password-at-all");

        wrongPassword.StatusCode.ShouldBe(HttpStatusCode.OK);
        unknownAccount.StatusCode.ShouldBe(HttpStatusCode.OK);
        var first = ErrorText(await wrongPassword.Content.ReadAsStringAsync());
        var second = ErrorText(await unknownAccount.Content.ReadAsStringAsync());
        first.ShouldNotBeNullOrWhiteSpace();
        second.ShouldBe(first);
        wrongPassword.Headers.TryGetValues("Set-Cookie", out var cookies);
        (cookies ?? []).ShouldNotContain(c => c.StartsWith(".DataTrust.Session", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Five_wrong_passwords_lock_the_account_so_even_the_right_one_is_refused()
    {
        var client = NewClient();
        for (var i = 0; i < 5; i++)
        {
            await SignIn.PostLoginAsync(client, "taro@example.jp", $"wrong-password-{i}");
        }

        var withRightPassword = await SignIn.PostLoginAsync(client, "taro@example.jp", "DataTrust-demo-2026");

        withRightPassword.StatusCode.ShouldBe(HttpStatusCode.OK);
        await using var db = _factory.NewDbContext();
        var taro = await db.Users.SingleAsync(u => u.Email == "taro@example.jp");
        taro.LockoutEnd.ShouldNotBeNull();
        taro.LockoutEnd.Value.ShouldBeGreaterThan(DateTimeOffset.UtcNow.AddMinutes(10));
    }

    [Theory]
    [InlineData("https://evil.example/steal")]
    [InlineData("//evil.example/steal")]
    [InlineData("/\\evil.example")]
    public async Task Sign_in_never_redirects_off_site(string returnUrl)
    {
        var response = await SignIn.PostLoginAsync(NewClient(), "hanako@example.jp", "DataTrust-demo-2026", returnUrl);

        response.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        response.Headers.Location!.OriginalString.ShouldBe("/");
    }

    [Fact]
    public async Task Sign_in_returns_to_a_local_page()
    {
        var response = await SignIn.PostLoginAsync(NewClient(), "hanako@example.jp", "DataTrust-demo-2026", "/account/logout");

        response.Headers.Location!.OriginalString.ShouldBe("/account/logout");
    }

    [Fact]
    public async Task A_post_without_the_anti_forgery_token_is_refused_and_signs_nobody_in()
    {
        var client = NewClient();
        var response = await client.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Email"] = "hanako@example.jp",
            ["Password"] = "DataTrust-demo-2026",
        }));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await client.GetStringAsync("/")).ShouldNotContain("hanako@example.jp");
    }

    [Fact]
    public async Task Signing_out_ends_the_session()
    {
        var client = await _factory.CreateClientAsync(Roles.Resident);
        var token = await SignIn.AntiforgeryTokenAsync(client, "/account/logout");

        var response = await client.PostAsync("/account/logout", new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token }));

        response.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await client.GetStringAsync("/")).ShouldNotContain("hanako@example.jp");
    }

    [Theory]
    [InlineData("/account/login", "ログイン", "ja")]
    [InlineData("/account/login?ui_locales=en", "Sign in", "en")]
    [InlineData("/account/login?lang=en", "Sign in", "en")]
    public async Task The_login_page_speaks_Japanese_first_and_English_on_request(string path, string heading, string lang)
    {
        var html = await NewClient().GetStringAsync(path);
        var document = new HtmlParser().ParseDocument(html);

        document.DocumentElement.GetAttribute("lang").ShouldBe(lang);
        document.QuerySelector("h1")!.TextContent.ShouldBe(heading);
        document.QuerySelector("label[for=email]").ShouldNotBeNull();
        document.QuerySelector("label[for=password]").ShouldNotBeNull();
    }

    [Fact]
    public async Task The_language_switch_remembers_English_and_only_returns_to_local_pages()
    {
        var client = NewClient();

        var local = await client.GetAsync("/language/en?returnUrl=%2Faccount%2Flogin");
        var offsite = await client.GetAsync("/language/en?returnUrl=https%3A%2F%2Fevil.example");

        local.Headers.Location!.OriginalString.ShouldBe("/account/login");
        offsite.Headers.Location!.OriginalString.ShouldBe("/");
        var html = await client.GetStringAsync("/account/login");
        html.ShouldContain("<html lang=\"en\">");
    }

    private HttpClient NewClient() => _factory.CreateBrowser();

    private static string? ErrorText(string html) => new HtmlParser().ParseDocument(html).QuerySelector("[role=alert]")?.TextContent;
}

public sealed class SqliteLoginTests() : LoginTests(StorageProvider.Sqlite);

public sealed class PostgresLoginTests() : LoginTests(StorageProvider.Postgres);
