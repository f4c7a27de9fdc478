using DataTrust.Identity.Clients;
using DataTrust.Identity.DPoP;
using DataTrust.Identity.Protocol;
using Microsoft.AspNetCore.Http;

namespace DataTrust.Identity.Token;

/// <summary>An authenticated token request, with its verified DPoP proof if one was sent.</summary>
internal sealed record TokenRequest(HttpContext Context, RequestParameters Parameters, Client Client, DPoPProof? Proof)
{
    public bool IsPublicClient => Client.TokenEndpointAuthMethod == ClientAuthentication.ClientAuthenticator.None;
}
