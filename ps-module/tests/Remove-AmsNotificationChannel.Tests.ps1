#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Remove-AmsNotificationChannel, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Remove-AmsNotificationChannel' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'removes with -Force and asks otherwise' {
        $null = Remove-AmsNotificationChannel -Name 'Old' -Force
        (Get-AmsStubCall).Line | Should -BeExactly 'notification-channel remove --name Old'
        (Get-Command Remove-AmsNotificationChannel).ScriptBlock.Attributes.Where({ $_ -is [System.Management.Automation.CmdletBindingAttribute] }).ConfirmImpact | Should -Be 'High'
    }

    It 'runs nothing with -WhatIf' {
        Remove-AmsNotificationChannel -Name 'Old' -WhatIf
        @(Get-AmsStubCall).Count | Should -Be 0
    }
}
