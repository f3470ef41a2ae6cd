#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Get-AmsIdpClaimMapping, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Get-AmsIdpClaimMapping' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'lists the custom mappings of one provider type' {
        $two = @(@{ IdpType = 'wsfed'; ClaimName = 'a'; ClaimValueType = 'Upn' }, @{ IdpType = 'wsfed'; ClaimName = 'b'; ClaimValueType = 'Sid' })
        Set-AmsStubResponse -Verb 'idp-claim-mapping get' -Response @{ stdout = $two }
        $mappings = @(Get-AmsIdpClaimMapping -IdpType wsfed)
        (Get-AmsStubCall).Line | Should -BeExactly 'idp-claim-mapping get --idp-type wsfed'
        $mappings.Count | Should -Be 2
        $mappings[0].PSTypeNames[0] | Should -BeExactly 'Ams.ClaimMapping'
    }

    It 'writes nothing while the defaults apply' {
        Set-AmsStubResponse -Verb 'idp-claim-mapping get' -Response @{ rawStdout = "[]`n" }
        @(Get-AmsIdpClaimMapping -IdpType oidc).Count | Should -Be 0
    }
}
