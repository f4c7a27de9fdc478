using System.Net;
using AngleSharp.Html.Parser;
using DataTrust.Accounts;
using DataTrust.Accounts.Sessions;
using DataTrust.Persistence;
using DataTrust.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Tests.Accounts;

public abstract class SessionTests(StorageProvider provider) : IDisposable
{
    private readonly DataTrustFactory _factory = new(provider);

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task The_security_page_lists_each_signed_in_browser_and_marks_this_one()
    {
        var laptop = await _factory.CreateClientAsync(Roles.Resident);
        await _factory.CreateClientAsync(Roles.Resident);

        var page = new HtmlParser().ParseDocument(await laptop.GetStringAsync("/account/security"));

        page.QuerySelectorAll("tbody tr").Length.ShouldBe(2);
        page.QuerySelectorAll("tbody tr strong").ShouldHaveSingleItem().TextContent.ShouldContain("この端末");
        (await SessionCount("hanako@example.jp")).ShouldBe(2);
    }

    [Fact]
    public async Task Ending_another_session_signs_that_browser_out_at_its_next_request()
    {
        var laptop = await _factory.CreateClientAsync(Roles.Resident);
        var phone = await _factory.CreateClientAsync(Roles.Resident);
        var page = new HtmlParser().ParseDocument(await laptop.GetStringAsync("/account/security"));
        var form = page.QuerySelector("form[action*=End] input[name=session]")!.GetAttribute("value")!;
        var token = page.QuerySelector("form[action*=End] input[name=__RequestVerificationToken]")!.GetAttribute("value")!;

        var response = await laptop.PostAsync("/account/security?handler=End", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["session"] = form,
            ["__RequestVerificationToken"] = token,
        }));

        response.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await phone.GetAsync("/account/security")).Headers.Location!.AbsolutePath.ShouldBe("/account/login");
        (await laptop.GetAsync("/account/security")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await SessionCount("hanako@example.jp")).ShouldBe(1);
    }

    [Fact]
    public async Task Signing_out_everywhere_ends_every_session_and_changes_the_security_stamp()
    {
        var laptop = await _factory.CreateClientAsync(Roles.Resident);
        var phone = await _factory.CreateClientAsync(Roles.Resident);
        var stampBefore = await Stamp("hanako@example.jp");
        var token = await SignIn.AntiforgeryTokenAsync(laptop, "/account/security");

        var response = await laptop.PostAsync("/account/security?handler=EndAll", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token,
        }));

        response.Headers.Location!.OriginalString.ShouldBe("/account/login");
        (await SessionCount("hanako@example.jp")).ShouldBe(0);
        (await Stamp("hanako@example.jp")).ShouldNotBe(stampBefore);
        (await laptop.GetAsync("/account/security")).Headers.Location!.AbsolutePath.ShouldBe("/account/login");
        (await phone.GetAsync("/account/security")).Headers.Location!.AbsolutePath.ShouldBe("/account/login");
    }

    [Fact]
    public async Task Nobody_can_end_someone_else_s_session()
    {
        await _factory.CreateClientAsync(Roles.Resident);
        var taro = await _factory.CreateSignedInClientAsync("taro@example.jp", "DataTrust-demo-2026");
        await using var db = _factory.NewDbContext();
        var hanakoSession = await db.Set<UserSession>().Join(db.Users, s => s.UserId, u => u.Id, (s, u) => new { s.Id, u.Email })
            .Where(x => x.Email == "hanako@example.jp").Select(x => x.Id).SingleAsync();
        var token = await SignIn.AntiforgeryTokenAsync(taro, "/account/security");

        await taro.PostAsync("/account/security?handler=End", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["session"] = hanakoSession.ToString(),
            ["__RequestVerificationToken"] = token,
        }));

        (await SessionCount("hanako@example.jp")).ShouldBe(1);
    }

    [Fact]
    public async Task Signing_out_removes_the_session_and_an_anonymous_visitor_is_sent_to_sign_in()
    {
        var client = await _factory.CreateClientAsync(Roles.Resident);
        var token = await SignIn.AntiforgeryTokenAsync(client, "/account/logout");
        await client.PostAsync("/account/logout", new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token }));

        (await SessionCount("hanako@example.jp")).ShouldBe(0);
        var anonymous = await _factory.CreateClient(new() { AllowAutoRedirect = false }).GetAsync("/account/security");
        anonymous.Headers.Location!.AbsolutePath.ShouldBe("/account/login");
    }

    [Fact]
    public void Devices_are_described_without_keeping_the_raw_header()
    {
        SessionTracking.DescribeDevice("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36")
            .ShouldBe("Chrome / Windows");
        SessionTracking.DescribeDevice("Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Version/18.0 Mobile/15E148 Safari/604.1")
            .ShouldBe("Safari / iPhone");
        SessionTracking.DescribeDevice("").ShouldBe("Browser");
    }

    private async Task<int> SessionCount(string email)
    {
        await using var db = _factory.NewDbContext();
        var user = await db.Users.SingleAsync(u => u.Email == email);
        return await db.Set<UserSession>().CountAsync(s => s.UserId == user.Id);
    }

    private async Task<string?> Stamp(string email)
    {
        await using var db = _factory.NewDbContext();
        return (await db.Users.AsNoTracking().SingleAsync(u => u.Email == email)).SecurityStamp;
    }
}

public sealed class SqliteSessionTests() : SessionTests(StorageProvider.Sqlite);

public sealed class PostgresSessionTests() : SessionTests(StorageProvider.Postgres);
