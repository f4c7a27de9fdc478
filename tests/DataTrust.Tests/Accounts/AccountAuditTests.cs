using DataTrust.Accounts;
using DataTrust.Audit;
using DataTrust.Audit.Storage;
using DataTrust.Audit.Verification;
using DataTrust.Persistence;
using DataTrust.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace DataTrust.Tests.Accounts;

/// <summary>Every sign-in, refused sign-in, sign-out and security change leaves exactly one audit entry, and the log stays verifiable.</summary>
public abstract class AccountAuditTests(StorageProvider provider) : IDisposable
{
    private readonly DataTrustFactory _factory = new(provider);

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task Signing_in_and_out_records_one_entry_each_under_the_person_s_pseudonym()
    {
        var client = await _factory.CreateClientAsync(Roles.Resident);
        var token = await SignIn.AntiforgeryTokenAsync(client, "/account/logout");
        await client.PostAsync("/account/logout", Browser.Form(("__RequestVerificationToken", token)));

        var hanako = await PseudonymOf("hanako@example.jp");
        var entries = await EntriesAsync();
        entries.Where(e => e.Subject == hanako).Select(e => e.Action).ShouldBe(["account.signed_in", "account.signed_out"]);
        var signedIn = entries.Single(e => e.Action == "account.signed_in");
        signedIn.ActorType.ShouldBe("resident");
        signedIn.Details.ShouldContain("\"password\"");
        string.Join('\n', entries.Select(e => e.Details + e.Objects + e.ActorId)).ShouldNotContain("hanako@example.jp");
        await ShouldVerifyAsync();
    }

    [Fact]
    public async Task A_refused_sign_in_records_the_reason_without_the_typed_address()
    {
        await SignIn.PostLoginAsync(_factory.CreateBrowser(), "taro@example.jp", "wrong-password-here");
        await SignIn.PostLoginAsync(_factory.CreateBrowser(), "no.such.person@example.jp", "wrong-password-here");

        var failures = (await EntriesAsync()).Where(e => e.Action == "account.sign_in_failed").ToList();
        failures.Count.ShouldBe(2);
        failures[0].Subject.ShouldBe(await PseudonymOf("taro@example.jp"));
        failures[0].Details.ShouldContain("bad_password");
        failures[1].Subject.ShouldBeNull();
        failures[1].Details.ShouldContain("unknown_account");
        failures.ShouldAllBe(f => !f.Details.Contains("example.jp"));
    }

    [Fact]
    public async Task Ending_all_sessions_records_one_security_change()
    {
        var client = await _factory.CreateClientAsync(Roles.Resident);
        var token = await SignIn.AntiforgeryTokenAsync(client, "/account/security");
        var before = (await EntriesAsync()).Count;

        await client.PostAsync("/account/security?handler=EndAll", Browser.Form(("__RequestVerificationToken", token)));

        var added = (await EntriesAsync()).Skip(before).ToList();
        added.ShouldHaveSingleItem().Action.ShouldBe("account.security_changed");
        added[0].Details.ShouldContain("sessions.ended_all");
        added[0].Subject.ShouldBe(await PseudonymOf("hanako@example.jp"));
        await ShouldVerifyAsync();
    }

    private async Task<string> PseudonymOf(string email)
    {
        await using var db = _factory.NewDbContext();
        var user = await db.Users.SingleAsync(u => u.Email == email);
        return _factory.Services.GetRequiredService<AuditPseudonyms>().Of(user.Id);
    }

    private async Task<List<AuditEntry>> EntriesAsync()
    {
        await using var db = _factory.NewDbContext();
        return await db.Set<AuditEntry>().AsNoTracking().OrderBy(e => e.Seq).ToListAsync();
    }

    private async Task ShouldVerifyAsync()
    {
        var report = await _factory.Services.GetRequiredService<LiveAuditVerifier>().VerifyAsync(null, CancellationToken.None);
        report.Problems.ShouldBeEmpty();
        report.Ok.ShouldBeTrue();
    }
}

public sealed class SqliteAccountAuditTests() : AccountAuditTests(StorageProvider.Sqlite);

public sealed class PostgresAccountAuditTests() : AccountAuditTests(StorageProvider.Postgres);
