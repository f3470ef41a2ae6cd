#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Restore-AmsDatabase, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Restore-AmsDatabase' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'is a High impact change' {
        Get-AmsConfirmImpact Restore-AmsDatabase | Should -BeExactly 'High'
    }

    It 'passes the file as the positional FILE, without --force by default' {
        $file = Join-Path $TestDrive 'ams.amsbak'
        $result = Restore-AmsDatabase -Path $file -Confirm:$false
        $call = Get-AmsStubCall
        $call.Argv | Should -Be @('db', 'restore', '--', $file)
        $result.PSTypeNames[0] | Should -BeExactly 'Ams.DatabaseRestore'
    }

    It 'passes -Force as --force and does not prompt' {
        $file = Join-Path $TestDrive 'ams.amsbak'
        $null = Restore-AmsDatabase -Path $file -Force
        (Get-AmsStubCall).Argv | Should -Be @('db', 'restore', '--force', '--', $file)
    }

    It 'does not run ams under -WhatIf' {
        Restore-AmsDatabase -Path (Join-Path $TestDrive 'ams.amsbak') -Force -WhatIf
        @(Get-AmsStubCall).Count | Should -Be 0
    }
}
