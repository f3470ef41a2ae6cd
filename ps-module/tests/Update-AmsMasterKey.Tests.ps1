#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Update-AmsMasterKey, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Update-AmsMasterKey' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'is a High impact key change taking a SecureString' {
        Get-AmsConfirmImpact Update-AmsMasterKey | Should -BeExactly 'High'
        (Get-Command Update-AmsMasterKey).Parameters['RecoveryPassword'].ParameterType | Should -Be ([System.Security.SecureString])
    }

    It 'rotates with the recovery password on stdin' {
        $result = Update-AmsMasterKey -RecoveryPassword (New-AmsTestSecureString 'rotate-me') -Force
        $call = Get-AmsStubCall
        $call.Line | Should -BeExactly 'key rotate'
        $call.Stdin | Should -BeExactly "rotate-me`n"
        $result.MasterKeyId | Should -BeExactly 'mk-2'
    }

    It 'does not run ams under -WhatIf, even with -Force' {
        Update-AmsMasterKey -RecoveryPassword (New-AmsTestSecureString 'x') -Force -WhatIf
        @(Get-AmsStubCall).Count | Should -Be 0
    }
}
