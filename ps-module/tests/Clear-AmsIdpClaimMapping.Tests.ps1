#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Clear-AmsIdpClaimMapping, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Clear-AmsIdpClaimMapping' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'clears one provider type' {
        Set-AmsStubResponse -Verb 'idp-claim-mapping clear' -Response @{ stdout = @{ IdpType = 'oidc'; Removed = 2; InForce = @() } }
        $result = Clear-AmsIdpClaimMapping -IdpType oidc
        (Get-AmsStubCall).Line | Should -BeExactly 'idp-claim-mapping clear --idp-type oidc'
        $result.Removed | Should -Be 2
        $result.PSTypeNames[0] | Should -BeExactly 'Ams.ClaimMappingClearResult'
    }

    It 'does not run ams under -WhatIf' {
        Clear-AmsIdpClaimMapping -IdpType wsfed -WhatIf
        @(Get-AmsStubCall).Count | Should -Be 0
    }
}
