using DataTrust.Accounts.Mail;
using DataTrust.Accounts.Passkeys;
using DataTrust.Accounts.Recovery;
using DataTrust.Accounts.Registration;
using DataTrust.Accounts.Sessions;
using DataTrust.Accounts.TwoFactor;
using DataTrust.Common.Web;
using DataTrust.Persistence;
using DataTrust.Vault.Keys;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace DataTrust.Accounts;

internal static class AccountsServiceCollectionExtensions
{
    public static IServiceCollection AddAccounts(this IServiceCollection services)
    {
        services.AddDataProtection().SetApplicationName("DataTrust");
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(provider =>
            new ConfigureOptions<KeyManagementOptions>(o =>
            {
                o.XmlRepository = ActivatorUtilities.CreateInstance<DatabaseXmlRepository>(provider);
                o.XmlEncryptor = new DataProtectionKeyEncryptor(provider.GetRequiredService<KeyRingProvider>());
            }));

        services.AddAuthentication(IdentityConstants.ApplicationScheme).AddIdentityCookies();
        services.ConfigureApplicationCookie(SessionCookie.Configure);
        services.AddAccessPolicies();
        services.AddIdentityCore<UserAccount>(options =>
            {
                // ASVS 5.0 V6.2: length over composition; at least 12 characters, up to 128.
                options.Password.RequiredLength = 12;
                options.Password.RequireDigit = false;
                options.Password.RequireLowercase = false;
                options.Password.RequireUppercase = false;
                options.Password.RequireNonAlphanumeric = false;
                options.Password.RequiredUniqueChars = 4;
                options.Lockout.AllowedForNewUsers = true;
                options.Lockout.MaxFailedAccessAttempts = 5;
                options.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(15);
                options.User.RequireUniqueEmail = true;
                options.SignIn.RequireConfirmedEmail = true;
                options.Stores.SchemaVersion = IdentitySchemaVersions.Version3;
                options.Tokens.AuthenticatorTokenProvider = SingleUseTotpProvider.Name;
            })
            .AddRoles<IdentityRole<Guid>>()
            .AddEntityFrameworkStores<DataTrustDbContext>()
            .AddSignInManager()
            .AddDefaultTokenProviders()
            .AddPasswordValidator<CommonPasswordValidator>()
            .AddTokenProvider<SingleUseTotpProvider>(SingleUseTotpProvider.Name);

        services.AddOptions<MailOptions>().BindConfiguration(MailOptions.Section);
        services.AddSingleton<IMailSender>(provider =>
            provider.GetRequiredService<IOptions<MailOptions>>().Value.Smtp.Host is { Length: > 0 }
                ? ActivatorUtilities.CreateInstance<SmtpMailSender>(provider)
                : ActivatorUtilities.CreateInstance<DirectoryMailSender>(provider));
        services.AddSingleton<PublicOrigin>();
        services.AddScoped<RegisterResident>();
        services.AddScoped<ConfirmEmail>();
        services.AddScoped<RequestPasswordReset>();
        services.AddScoped<ResetPassword>();
        services.AddScoped<EndSessions>();
        services.AddScoped<AuthenticatorEnrolment>();
        services.AddScoped<PasskeyEnrolment>();
        services.AddScoped<PasskeySignIn>();
        services.TryAddScoped<IPasskeyHandler<UserAccount>, PasskeyHandler<UserAccount>>();
        services.AddOptions<IdentityPasskeyOptions>().BindConfiguration("DataTrust:Passkeys");
        services.AddScoped<RecordFailedSignIn>();
        return services;
    }
}
