using DataTrust.Accounts;
using Microsoft.AspNetCore.Identity;

namespace DataTrust.Tests.Accounts;

public sealed class CommonPasswordValidatorTests
{
    private readonly CommonPasswordValidator _validator = new();

    [Theory]
    [InlineData("password1234")]
    [InlineData("PASSWORD1234")]
    [InlineData("  qwerty123456 ")]
    [InlineData("1qaz2wsx3edc")]
    [InlineData("zzzzzzzzzzzzzz")]
    [InlineData("121212121212")]
    [InlineData("abababababab")]
    [InlineData("abcdabcdabcdabcd")]
    [InlineData("1234567890123")]
    [InlineData("asdfghjklasd")]
    [InlineData("mailbox.owner-and-more")]
    public async Task Easily_guessed_passwords_are_refused(string password)
    {
        var result = await Validate(password);

        result.Succeeded.ShouldBeFalse();
        result.Errors.ShouldHaveSingleItem().Code.ShouldBe("CommonPassword");
    }

    [Theory]
    [InlineData("kawa no nagare wa taezu")]
    [InlineData("DataTrust-demo-2026")]
    [InlineData("correct horse battery staple")]
    [InlineData("夏の夜の夢を見ている")]
    public async Task Ordinary_passphrases_pass(string password)
    {
        (await Validate(password)).Succeeded.ShouldBeTrue();
    }

    private Task<IdentityResult> Validate(string password) =>
        _validator.ValidateAsync(null!, new UserAccount { Email = "mailbox.owner@example.jp" }, password);
}
